"""The storefront's front page."""

from __future__ import annotations

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.views.decorators.http import require_safe

from catalog import caching, selectors
from catalog.views import whole_page
from shops.selectors import shop_list

# --- The front page ------------------------------------------------------------------

FEATURED_PRODUCTS = 8
NEW_PRODUCTS = 8
SHOPS_ON_HOME = 8


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The storefront's front page: search, top categories, featured and new products,
    shops. Renders on an empty catalog too, with empty states. Its catalog sections are
    the same for every visitor: their HTML is cached while the catalog generation stands
    (and in each language), and only the page around them is rendered per visitor; a
    first-time visitor's whole page comes from the cache (catalog.views.whole_page)."""

    def build() -> dict[str, str]:
        in_stock = selectors.product_list_public().filter(stock_quantity__gt=0)
        featured = list(
            selectors.product_cards(in_stock).order_by(
                F("rating_average").desc(nulls_last=True), "-rating_count", "-created_at", "-id"
            )[:FEATURED_PRODUCTS]
        )
        newest = list(
            selectors.product_cards(
                in_stock.exclude(pk__in=[product.pk for product in featured])
            ).order_by("-created_at", "-id")[:NEW_PRODUCTS]
        )
        context = {
            "categories": selectors.category_tree(),
            "featured": featured,
            "newest": newest,
            "shops": list(shop_list()[:SHOPS_ON_HOME]),
            "request": request,
        }
        # A plain context (no context processors): nothing of the visitor can get in.
        return {"sections_html": get_template("catalog/_home_sections.html").render(context)}

    def render_page(extra: dict) -> HttpResponse:
        shown = caching.list_read(key="page:home", build=build, timeout=caching.PAGE_TIMEOUT)
        return render(request, "home.html", {**shown, **extra})

    return whole_page.send(request, name="home", render_page=render_page)
