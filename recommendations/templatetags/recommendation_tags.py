"""The recommendations on the pages: `{% product_recommendations product %}` (the
product page: bought together, similar) and `{% cart_recommendations lines %}` (the
cart: "you may also like", recently viewed). What the visitor has in the cart is left
out, from what the header read already (no query of its own)."""

from django import template
from django.template.loader import render_to_string

from catalog import late_parts, viewed
from recommendations import selectors

register = template.Library()


def _in_cart(context) -> frozenset[int]:
    ids = context.get("cart_product_ids")
    return frozenset(ids) if ids else frozenset()


@register.simple_tag(takes_context=True)
def product_recommendations(context, product):
    """On the cached whole page of a first-time visitor, a marker filled in when it is
    sent (catalog.late_parts: the recommended products change apart from this one);
    else the part itself, less the visitor's cart."""
    if context.get("late_parts"):
        return late_parts.marker(LATE_PART)
    return render_for(product, leave_out=_in_cart(context))


LATE_PART = "recommendations"


def render_for(product, *, leave_out=frozenset()) -> str:
    found = selectors.for_product(product)
    return render_to_string(
        "recommendations/_product.html",
        {
            "bought_together": selectors.without(found["bought_together"], leave_out, limit=4),
            "similar": selectors.without(found["similar"], leave_out),
        },
    )


def _late_key(product_id: int) -> str:
    return f"recs:html:{product_id}"


def late_keys(product_id: int) -> list[str]:
    """What `render_late` reads from the cache, for the page to read ahead."""
    return selectors.cached_keys(_late_key(product_id))


def render_late(request, product_id: int, read_ahead: dict | None = None) -> str:
    """The part for a whole page (no cart: a first-time visitor), its HTML cached like
    the recommendations: no query when warm, and no round trip of its own when the page
    read `late_keys` ahead."""
    from catalog.models import Product

    def build() -> str:
        product = Product.objects.filter(pk=product_id).first()
        return render_for(product) if product is not None else ""

    return selectors.cached(_late_key(product_id), build, read_ahead=read_ahead)


@register.inclusion_tag("recommendations/_cart.html", takes_context=True)
def cart_recommendations(context, lines):
    request = context.get("request")
    products = [line.product for line in lines]
    in_cart = {product.pk for product in products}
    recent = [pk for pk in viewed.viewed_ids(request) if pk not in in_cart]
    return {
        "also_like": selectors.without(selectors.for_products(products), in_cart),
        "recently_viewed": selectors.without(selectors.cards_for(recent), in_cart),
    }
