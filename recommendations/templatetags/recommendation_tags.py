"""The recommendations on the pages: `{% product_recommendations product %}` (the
product page: bought together, similar) and `{% cart_recommendations lines %}` (the
cart: "you may also like", recently viewed). What the visitor has in the cart is left
out, from what the header read already (no query of its own)."""

from django import template

from catalog import viewed
from recommendations import selectors

register = template.Library()


def _in_cart(context) -> frozenset[int]:
    ids = context.get("cart_product_ids")
    return frozenset(ids) if ids else frozenset()


@register.inclusion_tag("recommendations/_product.html", takes_context=True)
def product_recommendations(context, product):
    found = selectors.for_product(product)
    leave_out = _in_cart(context)
    return {
        "bought_together": selectors.without(found["bought_together"], leave_out, limit=4),
        "similar": selectors.without(found["similar"], leave_out),
    }


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
