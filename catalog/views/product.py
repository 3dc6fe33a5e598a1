"""A product's page and its review form: reviews go through catalog.services.review_create,
the function the API calls; a domain error is shown on the page, never as a server error.
The page is sent from cached fragments (catalog.caching) with the visitor's own parts
rendered fresh."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from catalog import caching, late_parts, selectors, services, viewed
from catalog.forms import ReviewForm
from catalog.models import Product, ProductVariant
from catalog.templatetags.shop_tags import money, stock_status
from catalog.views.whole_page import first_visit
from core import generations
from core.errors import ApplicationError
from core.forms import form_add_service_error
from shops.selectors import user_is_member

REVIEWS_PER_PAGE = 10
MORE_FROM_SHOP = 4


# --- Product page ------------------------------------------------------------------------


def _visible_product(request: HttpRequest, slug: str) -> Product:
    """The product if the caller may see it: the public catalog, plus the unpublished
    products of the caller's shops (all of them for staff). Soft-deleted ones: 404."""
    return get_object_or_404(
        selectors.product_with_variants(selectors.product_list_visible(user=request.user)).priced(),
        slug=slug,
    )


def _product_page_data(product: Product, reviews_page: str | int | None) -> dict[str, Any]:
    """What a product page shows of the product, whoever asks: picklable, so that the
    anonymous page can keep it in the cache (catalog.caching)."""
    reviews = Paginator(selectors.review_list(product=product), REVIEWS_PER_PAGE)
    page = reviews.get_page(reviews_page)
    more_from_shop = list(
        selectors.product_cards(
            selectors.product_list_public().filter(shop=product.shop).exclude(pk=product.pk)
        )[:MORE_FROM_SHOP]
    )
    return {
        "product": product,
        "images": list(product.images.all()),
        "tags": list(product.tags.all()),
        "breadcrumbs": (
            selectors.category_ancestors(product.category_id) if product.category_id else []
        ),
        "review_count": reviews.count,
        "reviews_number": page.number,
        "reviews": list(page.object_list),
        "more_from_shop": more_from_shop,
    }


def _reviews_page_number(request: HttpRequest) -> int:
    """The review page asked for; anything but a plausible number is the first page."""
    value = request.GET.get("reviews_page", "")
    return int(value) if value.isdigit() and len(value) <= 6 else 1


# The cached parts of templates/catalog/product_detail.html ({% product_fragment %}).
PRODUCT_FRAGMENTS = ("top", "middle", "reviews")


def _number_param(request: HttpRequest, name: str) -> str:
    value = request.GET.get(name, "")
    return value if value.isdigit() and len(value) <= 18 else ""


def _fragments(request: HttpRequest, ref: str) -> caching.ProductFragments:
    """The product page's cached parts; besides the product they show the selected
    variant and image and the page of reviews."""
    image, variant = _number_param(request, "image"), _number_param(request, "variant")
    return caching.ProductFragments(
        ref=ref, vary=f"{image}:{variant}:{_reviews_page_number(request)}"
    )


def _selected_variant(request: HttpRequest, variants: list[ProductVariant]):
    """The variant asked for (`?variant=`), else the first in stock, else the first."""
    wanted = _number_param(request, "variant")
    if wanted:
        found = next((variant for variant in variants if variant.pk == int(wanted)), None)
        if found is not None:
            return found
    return next((v for v in variants if v.stock_quantity > 0), variants[0] if variants else None)


def _option_groups(product: Product, variants: list[ProductVariant], selected) -> list[dict]:
    """One picker per option: each value is `ok`, `sold_out` (the combination with the
    other chosen values has no stock) or `unavailable` (no such variant on sale)."""
    if selected is None or not product.option_list:
        return []
    chosen = selected.options
    by_options = {tuple(sorted(v.options.items())): v for v in variants}
    groups = []
    for option in product.option_list:
        values = []
        for value in option.values.all():
            wanted = {**chosen, option.name: value.value}
            match = by_options.get(tuple(sorted(wanted.items())))
            state = "unavailable" if match is None else ("ok" if match.in_stock else "sold_out")
            values.append(
                {
                    "value": value.value,
                    "state": state,
                    "selected": chosen.get(option.name) == value.value,
                    "variant_id": match.pk if match else None,
                }
            )
        groups.append({"name": option.name, "values": values})
    return groups


def _variants_data(product: Product, variants: list[ProductVariant]) -> list[dict]:
    """What the page's script needs to follow a choice without a reload."""
    images = {image.pk: image for image in product.images.all()}
    data = []
    for variant in variants:
        image = images.get(variant.image_id)
        stock = stock_status(variant)
        data.append(
            {
                "id": variant.pk,
                "options": variant.options,
                "price": money(variant.price, product.currency),
                "compare_at": money(variant.compare_at_price, product.currency)
                if variant.is_discounted
                else "",
                "stock": variant.stock_quantity,
                "stock_label": stock["label"],
                "stock_state": stock["state"],
                "sku": variant.sku,
                "image": {"id": image.pk, "url": image.image.url} if image else None,
            }
        )
    return data


def _selected_image(request: HttpRequest, images: list, variant=None) -> Any:
    """The image asked for (`?image=`), else the chosen variant's, else the first."""
    wanted = request.GET.get("image", "")
    for image_id in (wanted, str(variant.image_id) if variant and variant.image_id else ""):
        if image_id.isdigit():
            found = next((image for image in images if image.pk == int(image_id)), None)
            if found is not None:
                return found
    return images[0] if images else None


def _render_product(
    request: HttpRequest,
    product: Product,
    *,
    fragments: caching.ProductFragments,
    load: Callable[[], dict[str, Any]],
    review_form: ReviewForm | None = None,
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The product page. The parts that show the product only (not the visitor) are
    template fragments cached at the product's version (`fragments`): `load()` (images,
    reviews, breadcrumbs, "more from the shop") runs only when one is missing."""
    loaded: dict[str, Any] = {}

    def part(name: str) -> Any:
        if not loaded:
            loaded.update(load())
        return loaded[name]

    def reviews_page():
        page = Paginator(range(part("review_count")), REVIEWS_PER_PAGE).page(part("reviews_number"))
        page.object_list = part("reviews")
        return page

    def lazy(name: str) -> SimpleLazyObject:
        return SimpleLazyObject(lambda: part(name))

    user = request.user
    own_review = None
    is_member = False
    if user.is_authenticated:
        own_review = selectors.review_list(product=product).filter(user=user).first()
        is_member = user_is_member(user=user, shop=product.shop)

    variants = [variant for variant in product.variant_list if variant.is_active]
    for variant in variants:
        variant.options = selectors.variant_options(variant, product.option_list)
    variant = _selected_variant(request, variants)

    context = {
        "product": product,
        "variants": variants,
        "variant": variant,
        "option_groups": _option_groups(product, variants, variant),
        "variants_data": _variants_data(product, variants) if len(variants) > 1 else [],
        "images": lazy("images"),
        "selected_image": SimpleLazyObject(
            lambda: _selected_image(request, part("images"), variant)
        ),
        "breadcrumbs": lazy("breadcrumbs"),
        "tags": lazy("tags"),
        "reviews_page": SimpleLazyObject(reviews_page),
        "reviews": lazy("reviews"),
        "own_review": own_review,
        "is_member": is_member,
        # The form shows only to signed-in visitors: not built for the others.
        "review_form": review_form or (ReviewForm() if user.is_authenticated else None),
        "more_from_shop": lazy("more_from_shop"),
        "can_buy": selectors.product_is_for_sale(product)
        and variant is not None
        and variant.stock_quantity > 0,
        "fragments": fragments,
        **(extra_context or {}),
    }
    return render(request, "catalog/product_detail.html", context)


def _whole_page_name(request: HttpRequest) -> str | None:
    """The cached part holding the whole product page of a first-time visitor, or None
    when the visitor has anything of their own to see: a session (a guest cart, a
    message) or a message cookie. Such a visitor's page differs from the next one's only
    by the CSRF token, which is put in when the page is sent."""
    if not first_visit(request):  # the one rule of the front door's whole pages
        return None
    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=12).hexdigest()
    return f"page:{digest}"


# The product behind each product address whose whole page this process sent (bounded
# like catalog.caching's shops): the keys of its late parts are then read in the page's
# own round trip.
_whole_page_products: dict[str, int] = {}
_WHOLE_PAGE_PRODUCTS_MAX = 100_000


def _send_whole_page(
    request: HttpRequest, ref: str, stored: tuple, read_ahead: dict[str, object]
) -> HttpResponse:
    placeholder, html, product_id = stored
    if _whole_page_products.get(ref) != product_id:
        if len(_whole_page_products) >= _WHOLE_PAGE_PRODUCTS_MAX:
            _whole_page_products.clear()
        _whole_page_products[ref] = product_id
    html = html.replace(placeholder, get_token(request))
    html = late_parts.fill(request, html, product_id, read_ahead)
    response = HttpResponse(html)
    viewed.record_view(request, response, product_id)
    return response


@require_safe
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A product's page. For anonymous visitors the product comes from the cache, and so
    do the parts of the page that show it; the per-visitor parts (the header's cart, the
    forms' CSRF tokens) are rendered anew on every request. Each view is recorded in the
    visitor's recently viewed (catalog.viewed)."""
    reviews_page = _reviews_page_number(request)
    ref = f"slug:{slug}"
    fragments = _fragments(request, ref)
    if request.user.is_authenticated:
        with generations.building() as horizon:  # the fragments keep its prices' end
            product = _visible_product(request, slug)
        version = caching.product_version(ref=ref, shop_id=product.shop_id, horizon=horizon)
        response = _render_product(
            request,
            product,
            fragments=fragments.fetch(version=version, names=PRODUCT_FRAGMENTS),
            load=lambda: _product_page_data(product, reviews_page),
        )
        viewed.record_view(request, response, product.pk)
        return response

    def build() -> tuple[Product, int]:
        product = get_object_or_404(
            selectors.product_with_variants(selectors.product_list_public()).priced(), slug=slug
        )
        return product, product.shop_id

    whole_page = _whole_page_name(request)
    if whole_page is not None:
        known = _whole_page_products.get(ref)
        stored, read_ahead = caching.product_part_if_current(
            ref=ref,
            key=fragments.keys([whole_page])[0],
            also=late_parts.keys(known) if known is not None else (),
        )
        if stored is not None and len(stored) == 3:
            # Read ahead for another product (the address now names a new one): unused.
            return _send_whole_page(request, ref, stored, read_ahead if stored[2] == known else {})
    product, version, found = caching.product_read(
        ref=ref, part="product", build=build, also=fragments.keys(PRODUCT_FRAGMENTS)
    )
    fragments.use(version=version, found=found)

    def load() -> dict[str, Any]:
        def build_page():
            generations.valid_until(caching.version_until(version))  # the product's prices
            return _product_page_data(product, reviews_page), product.shop_id

        data, _version, _extras = caching.product_read(
            ref=ref, part=f"page:{reviews_page}", build=build_page
        )
        return data

    if whole_page is None:
        response = _render_product(request, product, fragments=fragments, load=load)
        viewed.record_view(request, response, product.pk)
        return response
    # Rendered once with a placeholder where the CSRF token goes (the view's context wins
    # over the context processor's), stored, and sent with this visitor's token.
    placeholder = f"csrf-{secrets.token_hex(16)}"
    response = _render_product(
        request,
        product,
        fragments=fragments,
        load=load,
        extra_context={"csrf_token": placeholder, "late_parts": True},
    )
    stored = (placeholder, response.content.decode(), product.pk)
    fragments.store(whole_page, stored)
    return _send_whole_page(request, ref, stored, {})


@require_POST
def review_create(request: HttpRequest, slug: str) -> HttpResponse:
    """The review form of the product page. Its errors (a second review, a shop member
    reviewing their own product) come back on the product page, under the form."""
    with generations.building() as horizon:
        product = _visible_product(request, slug)
    product_url = reverse("catalog:product_detail", args=[product.slug])
    if not request.user.is_authenticated:
        return redirect_to_login(product_url)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_create(
                user=request.user,
                product=product,
                rating=form.cleaned_data["rating"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except (ApplicationError, DjangoValidationError) as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Thank you: your review is published."))
            return redirect(f"{product_url}#reviews")
    reviews_page = _reviews_page_number(request)
    ref = f"slug:{product.slug}"
    version = caching.product_version(ref=ref, shop_id=product.shop_id, horizon=horizon)
    return _render_product(
        request,
        product,
        fragments=_fragments(request, ref).fetch(version=version, names=PRODUCT_FRAGMENTS),
        load=lambda: _product_page_data(product, reviews_page),
        review_form=form,
    )
