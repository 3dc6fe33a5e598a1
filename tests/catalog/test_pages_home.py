"""The home page, on an empty catalog and a stocked one, and the storefront's template
helpers (money, stars)."""

import re
from decimal import Decimal

import pytest
from django.template import Context, Template

from catalog.models import Product
from catalog.templatetags.shop_tags import money, rating_text
from tests.factories import CategoryFactory, ProductFactory, ShopFactory

CARD_NAME = re.compile(
    r'<h3 class="product-card-title"><a class="stretched-link" href="[^"]+">([^<]+)</a>'
)


def section(page: str, title_id: str) -> str:
    return page.split(f'id="{title_id}"')[1].split("</section>")[0]


@pytest.mark.django_db
def test_the_home_page_renders_on_an_empty_catalog(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 id="hero-title">' in page
    assert 'action="/products/"' in page and 'id="hero-search-input"' in page
    assert "No products yet" in page
    assert "Categories appear here" in page
    assert "No shops have opened yet." in page


@pytest.mark.django_db
def test_the_home_page_shows_categories_best_rated_products_new_arrivals_and_shops(client):
    garden = CategoryFactory(name="Garden", slug="garden")
    CategoryFactory(name="Tools", slug="tools", parent=garden)
    CategoryFactory(name="Kitchen", slug="kitchen")
    ShopFactory(name="Quiet Shop", description="Nothing for sale yet.")
    ProductFactory(name="Old Unrated")
    best = ProductFactory(name="Best Rated")
    good = ProductFactory(name="Good")
    sold_out = ProductFactory(name="Sold Out", stock_quantity=0)
    ProductFactory(name="Hidden", is_active=False)
    for product, average in ((best, "4.9"), (good, "4.1"), (sold_out, "5.0")):
        Product.objects.filter(pk=product.pk).update(
            rating_average=Decimal(average), rating_count=3
        )
    for n in range(8):
        ProductFactory(name=f"New {n}")

    page = client.get("/").content.decode()

    categories = section(page, "categories-title")
    assert (
        'href="/categories/garden/"' in categories and 'href="/categories/kitchen/"' in categories
    )
    assert "/categories/tools/" not in categories  # only the top categories
    featured = CARD_NAME.findall(section(page, "featured-title"))
    assert featured[:3] == ["Best Rated", "Good", "New 7"]  # rated first, then newest
    assert len(featured) == 8
    assert "Sold Out" not in page and "Hidden" not in page
    newest = CARD_NAME.findall(section(page, "new-title"))
    assert newest == ["New 1", "New 0", "Old Unrated"]  # the rest, newest first
    shops = section(page, "shops-title")
    assert "Quiet Shop" in shops and "Nothing for sale yet." in shops


@pytest.mark.django_db
def test_the_home_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(20):
        ProductFactory()
    # Cold: the two rows of cards read their colours (the swatches) with one query each,
    # and the category tree is read once.
    with django_assert_max_num_queries(11):
        assert client.get("/").status_code == 200
    # Warm: the catalog sections come from the cache, whole.
    with django_assert_max_num_queries(0):
        assert client.get("/").status_code == 200
    # A change to the catalog shows at once.
    ProductFactory(name="Brand New Lamp")
    assert "Brand New Lamp" in client.get("/").content.decode()


# --- money and stars -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("19.99"), "USD", "$19.99"),
        (Decimal("19.99"), "EUR", "€19.99"),
        (Decimal("19.99"), "GBP", "£19.99"),
        (Decimal("19.99"), "CHF", "19.99 CHF"),
        (Decimal("19.99"), "chf", "19.99 CHF"),
        (Decimal("1299"), "USD", "$1,299.00"),
        (Decimal("0.5"), "USD", "$0.50"),
        (Decimal("-5"), "EUR", "-€5.00"),
        ("7.1", "GBP", "£7.10"),
        (None, "USD", ""),
        ("n/a", "USD", "n/a"),
    ],
)
def test_money_formats_an_amount_with_its_currency(amount, currency, shown):
    assert money(amount, currency) == shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("4.50"), "4.5 out of 5 stars"),
        (Decimal("4.00"), "4 out of 5 stars"),
        (Decimal("4.33"), "4.3 out of 5 stars"),
        (5, "5 out of 5 stars"),
        (None, ""),
    ],
)
def test_rating_text_reads_as_a_sentence(value, text):
    assert rating_text(value) == text


def render(template: str, **context) -> str:
    return Template("{% load shop_tags %}" + template).render(Context(context))


def test_stars_are_an_image_with_a_text_alternative():
    out = render("{% stars rating count %}", rating=Decimal("4.26"), count=12)
    assert 'class="stars stars-9" role="img" aria-label="4.3 out of 5 stars"' in out
    assert '(12<span class="visually-hidden"> reviews</span>)' in out
    assert "No reviews yet" in render("{% stars None 0 %}")
    assert "stars-10" in render("{% stars 5 %}") and "stars-2" in render("{% stars 1 %}")
