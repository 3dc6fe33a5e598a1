"""Storefront pages of the catalog, by subject: the listings (all products, a category's,
a shop's storefront), a product's page with its review form, and the front page."""

from catalog.views.home import home
from catalog.views.listings import category_detail, product_list, shop_detail
from catalog.views.product import product_detail, review_create

__all__ = [
    "category_detail",
    "home",
    "product_detail",
    "product_list",
    "review_create",
    "shop_detail",
]
