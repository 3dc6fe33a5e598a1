"""Every word a template shows is marked for translation (tests/i18n/unmarked.py)."""

from tests.i18n.unmarked import unmarked, unmarked_in


def test_every_text_of_every_template_is_marked_for_translation():
    found = unmarked()
    assert not found, "Not marked for translation ({% translate %}):\n" + "\n".join(
        str(item) for item in found
    )


def test_the_finder_sees_text_and_read_attributes_that_are_not_marked():
    assert unmarked_in("<p>Your cart is empty.</p>") == [(1, "Your cart is empty.")]
    assert unmarked_in('<button title="Remove">&times;</button>') == [(1, 'title="Remove"')]
    assert unmarked_in('<input type="submit" value="Save">') == [(1, 'value="Save"')]
    assert unmarked_in('<img alt="{{ name }} photo">') == [(1, 'alt="photo"')]
    assert unmarked_in("Hello {{ name }},\nyour order is on its way.") != []


def test_the_finder_passes_what_is_marked_or_not_words():
    for source in [
        '{% load i18n %}<p>{% translate "Your cart is empty." %}</p>',
        "{% blocktranslate trimmed with n=count %}\n  {{ n }} items\n{% endblocktranslate %}",
        '<button title="{% translate "Remove" %}">&times;</button>',
        "<script>const label = 'not for the finder';</script>",
        "<code>manage.py seed_demo</code>",
        "{# a comment #}{% comment %}notes for developers{% endcomment %}",
        "<p>{{ product.name }} · {{ price }} · 4/5 · PayPal · SKU</p>",
        '<div{% if grand %} class="totals-grand"{% endif %}>{{ total }}</div>',
        "{% block main_class %} page-cart{% endblock %}",
        "{{ site_url }}/admin/catalog/product/?shop__id__exact={{ shop.id }}",
        '<{% if href %}a href="{{ href }}"{% else %}button{% endif %} class="button">',
    ]:
        assert unmarked_in(source) == [], source
