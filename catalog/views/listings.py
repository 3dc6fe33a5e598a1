"""The product listings: all products (with search and filters), a category's, and a
shop's storefront (which lives in the catalog rather than in shops/: it lists products,
and the shops app sits below the catalog, docs/architecture.md).

Listings filter and sort with catalog.filters.ProductFilter, the filter the API uses,
and read through catalog.selectors. Every listing runs a fixed number of queries
whatever the page size, and the public ones are rendered once per address and catalog
generation (`_render_listing`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from catalog import caching, selectors
from catalog.facets import option_facets
from catalog.filters import ORDERING_LABELS, ProductFilter
from catalog.models import Product, ProductImage
from catalog.views import whole_page
from shipping.caching import ALL_SHIPPING_GENERATION, shop_shipping_read
from shops.policies import may_manage_shop
from shops.selectors import shop_list

PAGE_SIZE = 24
MAX_PAGE_SIZE = 100  # as the API: a larger page_size is treated as 100
MIN_RATING_CHOICES = [
    ("4", gettext_lazy("4 stars & up")),
    ("3", gettext_lazy("3 stars & up")),
    ("2", gettext_lazy("2 stars & up")),
]

# Filters that take an id or a slug, and the largest id a database column holds.
# The query parameters a listing understands (besides page and page_size).
FILTER_KEYS = ("q", "category", "shop", "tag", "min_price", "max_price", "in_stock", "min_rating")


# --- Listings ----------------------------------------------------------------------------


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("page_size", PAGE_SIZE))
    except (TypeError, ValueError):
        return PAGE_SIZE
    return min(max(size, 1), MAX_PAGE_SIZE)


def _redirect_without_empty_values(request: HttpRequest) -> HttpResponse | None:
    """A filter form sends its empty fields too (`?q=&min_price=`): answer with the same
    listing at a clean, shareable address."""
    if not any(value == "" for _key, values in request.GET.lists() for value in values):
        return None
    cleaned = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [value for value in values if value != ""]
        if kept:
            cleaned.setlist(key, kept)
    query = cleaned.urlencode()
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))


def _url_without(request: HttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in (*keys, "page"):
        query.pop(key, None)
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def _category_name(value: str) -> str:
    node = selectors.category_find(value)
    return node["name"] if node else value


def _active_filters(
    request: HttpRequest, cleaned: dict[str, Any], shops: list, locked: tuple[str, ...]
) -> list[dict[str, str]]:
    """The filters in force, each with a link that removes it."""
    chips: list[dict[str, str]] = []

    def add(label: str, *keys: str) -> None:
        chips.append({"label": label, "remove_url": _url_without(request, *keys)})

    if (cleaned.get("q") or "").strip():
        add(f"“{cleaned['q'].strip()}”", "q", "ordering")
    if cleaned.get("category") and "category" not in locked:
        add(_("Category: %(name)s") % {"name": _category_name(cleaned["category"])}, "category")
    if cleaned.get("shop") and "shop" not in locked:
        value = cleaned["shop"].strip()
        name = next((s.name for s in shops if value in (s.slug, str(s.pk))), value)
        add(_("Shop: %(name)s") % {"name": name}, "shop")
    if cleaned.get("tag"):
        value = cleaned["tag"].strip()
        tag = selectors.tag_list().filter(**{"pk" if value.isdigit() else "slug": value}).first()
        add(_("Tag: %(name)s") % {"name": tag.name if tag else value}, "tag")
    if cleaned.get("min_price") is not None:
        add(_("From %(price)s") % {"price": cleaned["min_price"]}, "min_price")
    if cleaned.get("max_price") is not None:
        add(_("Up to %(price)s") % {"price": cleaned["max_price"]}, "max_price")
    if cleaned.get("in_stock") is True:
        add(_("In stock"), "in_stock")
    elif cleaned.get("in_stock") is False:
        add(_("Out of stock"), "in_stock")
    if cleaned.get("min_rating") is not None:
        add(
            _("%(rating)s+ stars") % {"rating": f"{cleaned['min_rating'].normalize():f}"},
            "min_rating",
        )
    return chips


# What a product card (templates/catalog/_product_card.html) shows of a product.
CARD_FIELDS = (
    "id",
    "name",
    "slug",
    "price",
    "price_max",
    "currency",
    "stock_quantity",
    "is_active",
    "deleted_at",  # with is_active and the shop's: whether it is for sale
    "category",  # which sales reach it (catalog.pricing)
    "rating_average",
    "rating_count",
    "shop__id",
    "shop__name",
    "shop__slug",
    "shop__is_active",
)


def _cards(ids: list[int]) -> list[Product]:
    """The products of these ids, in this order, with what their cards show: the
    narrow columns, the shop, the images and the colours (three queries, four with
    colours, none for no ids)."""
    if not ids:
        return []
    found = {
        product.pk: product
        for product in Product.objects.filter(pk__in=ids)
        .select_related("shop")
        .only(*CARD_FIELDS)
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            selectors.colour_options(),
        )
        .priced()
    }
    return [found[pk] for pk in ids if pk in found]


def product_listing(
    request: HttpRequest,
    *,
    queryset: QuerySet[Product],
    fixed: dict[str, str] | None = None,
    locked: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Filter, sort and paginate `queryset` from the request's query string; answers the
    context of templates/catalog/_listing.html.

    `fixed` sets filters the address decides (a category page's category); `locked`
    names filters the page does not offer (a shop page's shop). A value that does not
    validate (min_price=abc) is shown as an error beside its field and ignored; the
    other filters and the sort still apply. A page number past the end shows the last
    page, one that is not a number the first.
    """
    data = request.GET.copy()
    for key in ("page", "page_size", *locked):
        data.pop(key, None)
    for key, value in (fixed or {}).items():
        data[key] = value
    product_filter = ProductFilter(data, queryset=queryset)
    errors = product_filter.errors
    if errors:
        for key in errors:
            data.pop(key, None)
        product_filter = ProductFilter(data, queryset=queryset)
    cleaned = product_filter.form.cleaned_data if product_filter.is_valid() else {}

    # The page is read in two steps: the ids of its products (the filter's sort, served
    # by an index of catalog.models, so that a deep OFFSET walks narrow index entries,
    # not wide sorted rows), then those products with what a card shows.
    paginator = caching.CachedCountPaginator(
        product_filter.qs.values_list("pk", flat=True), _page_size(request)
    )
    page = paginator.get_page(request.GET.get("page"))
    products = _cards(list(page.object_list))
    page.object_list = products
    page_range = (
        list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
        if paginator.num_pages > 1
        else []
    )

    query = (cleaned.get("q") or "").strip()
    searching = bool(query)
    ordering = cleaned.get("ordering") or ("relevance" if searching else "-created_at")
    if ordering == "relevance" and not searching:
        ordering = "-created_at"
    ordering_choices = [
        (value, label)
        for value, label in ORDERING_LABELS.items()
        if value != "relevance" or searching
    ]

    shops = [] if "shop" in locked else list(shop_list().only("id", "name", "slug"))
    current_category = None
    category_value = (fixed or {}).get("category") or cleaned.get("category")
    if category_value:
        current_category = selectors.category_find(category_value)
    active_category_ids = (
        {node["id"] for node in selectors.category_ancestors(current_category["id"])}
        if current_category
        else set()
    )
    active_filters = _active_filters(request, cleaned, shops, (*locked, *(fixed or {})))
    # The sidebar's option filters, with how many products each value would show.
    facets = option_facets(base=queryset, data=data)
    raw = {key: request.GET.get(key, "") for key in FILTER_KEYS}
    min_rating_choices = list(MIN_RATING_CHOICES)
    if cleaned.get("min_rating") is not None and raw["min_rating"] not in dict(min_rating_choices):
        min_rating_choices.append(
            (raw["min_rating"], _("%(rating)s stars & up") % {"rating": raw["min_rating"]})
        )
    return {
        "products": products,
        "page_obj": page,
        "paginator": paginator,
        "page_range": page_range,
        "ellipsis": Paginator.ELLIPSIS,
        "query": query,
        "searching": searching,
        "ordering": ordering,
        "ordering_choices": ordering_choices,
        "filter_values": raw,
        "filter_errors": errors,
        "active_filters": active_filters,
        "clear_filters_url": request.path,
        "shops_for_filter": shops,
        "show_shop_filter": "shop" not in locked,
        "category_nodes": selectors.category_tree(),
        "current_category": current_category,
        "active_category_ids": active_category_ids,
        "min_rating_choices": min_rating_choices,
        "option_facets": facets,
    }


def _render_listing(
    request: HttpRequest,
    template_name: str,
    *,
    queryset: QuerySet[Product],
    fixed: dict[str, str] | None = None,
    locked: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
    public: bool = True,
    name: str = "",
    page_extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A page around a listing. The listing (templates/catalog/_listing.html: filters,
    cards, pages) shows the catalog only, never the visitor: when it lists the public
    catalog (`public`) its HTML is cached per address (path and query string) while the
    catalog generation stands (catalog.caching.list_read), and only the page around it
    (header, cart count, CSRF token) is rendered for each visitor. A public listing's
    whole page (`name`: what it is) is cached for first-time visitors
    (catalog.views.whole_page); `page_extra`: the context of a caller that asked for
    the whole page itself (the page's own lookups then come after the cache)."""
    extra = extra or {}
    built: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        context = product_listing(request, queryset=queryset, fixed=fixed, locked=locked)
        # A plain context (no context processors): nothing of the visitor can get in.
        html = get_template("catalog/_listing.html").render(
            {**context, **extra, "request": request}
        )
        built.update(context)
        return {
            "listing_html": html,
            "query": context["query"],
            "searching": context["searching"],
            "page_number": context["page_obj"].number,
        }

    def render_page(page_extra: dict) -> HttpResponse:
        if public:
            shown = caching.list_read(
                key=f"page:{request.get_full_path()}", build=build, timeout=caching.PAGE_TIMEOUT
            )
        else:
            shown = build()
        # The listing's HTML is the template's SafeString (kept as such by the cache's
        # pickling).
        context = {**built, **shown, **extra, **page_extra}
        return render(request, template_name, context)

    if public and name:
        return whole_page.send(request, name=name, render_page=render_page)
    return render_page(page_extra or {})


@require_safe
def product_list(request: HttpRequest) -> HttpResponse:
    """All products, or the results of a search (`q`), with filters and sorting."""
    redirect_response = _redirect_without_empty_values(request)
    if redirect_response:
        return redirect_response
    return _render_listing(
        request,
        "catalog/product_list.html",
        queryset=selectors.product_list_public(),
        name="products",
    )


@require_safe
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A category's products, its sub-categories' included."""
    redirect_response = _redirect_without_empty_values(request)
    if redirect_response:
        return redirect_response

    def render_page(page_extra: dict) -> HttpResponse:
        node = selectors.category_find(slug)
        if node is None or node["slug"] != slug:
            raise Http404(_("No such category."))
        return _render_listing(
            request,
            "catalog/category_detail.html",
            queryset=selectors.product_list_public(),
            fixed={"category": str(node["id"])},
            extra={
                "category": node,
                "breadcrumbs": selectors.category_ancestors(node["id"])[:-1],
            },
            page_extra=page_extra,
        )

    # A first visit asks for the whole page before anything else (catalog.views.whole_page).
    return whole_page.send(request, name="category", render_page=render_page)


@require_safe
def shop_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A shop's storefront: its details and its products. An inactive shop is shown to
    its members and platform staff only (a 404 for everyone else), with its unpublished
    products marked."""
    redirect_response = _redirect_without_empty_values(request)
    if redirect_response:
        return redirect_response

    def render_page(page_extra: dict) -> HttpResponse:
        if request.user.is_authenticated:
            shop = get_object_or_404(shop_list(user=request.user), slug=slug)
        else:
            # An open shop, as anyone sees it: cached while the catalog (shops included)
            # stands, so that a visitor's page is served without a query.
            shop = caching.list_read(
                key=f"shop:{slug}",
                build=lambda: shop_list(user=request.user).filter(slug=slug).first(),
                timeout=caching.PAGE_TIMEOUT,
            )
            if shop is None:
                raise Http404(_("No such shop."))
        queryset = selectors.product_list_visible(user=request.user).filter(shop=shop)
        return _render_listing(
            request,
            "catalog/shop_detail.html",
            queryset=queryset,
            locked=("shop",),
            extra={
                "shop": shop,
                # Where it ships: cached until its zones or methods change.
                "shipping_zones": shop_shipping_read(shop_id=shop.pk),
                "shop_currency": settings.DEFAULT_CURRENCY,
                "filter_category_in_place": True,
                "is_owner": request.user.is_authenticated and may_manage_shop(request.user, shop),
            },
            # Members and staff also see the shop's unpublished products: theirs is not
            # the public listing. Everyone else's is.
            public=not request.user.is_authenticated,
            page_extra=page_extra,
        )

    # A first visit asks for the whole page before anything else; the page says where
    # the shop ships, so it also stands on every shop's shipping generation (a shop's
    # id is not known before the page is read, and shipping rarely changes).
    return whole_page.send(
        request, name="shop", render_page=render_page, also=(ALL_SHIPPING_GENERATION,)
    )
