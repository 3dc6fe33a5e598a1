"""Storefront pages of the cart: the cart itself, adding (from the product page),
changing a quantity, removing a line and emptying the cart.

Guests have a cart too, its id kept in the session; signing in merges it into the
person's cart (cart.receivers). Every change goes through cart.services, the functions
the API calls; a domain error they raise (not enough stock, no longer for sale, a
quantity out of range) becomes an error message, never a server error.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_countries import countries

from accounts.selectors import address_default
from cart import selectors, services
from cart.exceptions import quoted_product
from cart.forms import CartAddForm, CartQuantityForm
from cart.models import Cart, CartItem
from cart.pricing import basket_rows
from catalog.selectors import product_list_visible, variants_live
from core.errors import ApplicationError


def current_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The caller's cart: the signed-in person's, or the guest cart of this session
    (None for a guest who has none yet, unless `create`)."""
    if request.user.is_authenticated:
        return services.cart_get_for_user(user=request.user)
    return services.cart_get_for_session(session=request.session, create=create)


def _own_line(request: HttpRequest, item_id: int) -> tuple[Cart, CartItem]:
    """A line of the caller's cart; anyone else's (another person, another session) is
    a 404, as if it did not exist."""
    cart = current_cart(request)
    item = selectors.cart_item_get(cart=cart, item_id=item_id) if cart else None
    if item is None:
        raise Http404("No such line in your cart.")
    return cart, item


def _safe_next(request: HttpRequest, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _error_text(exc: ApplicationError) -> str:
    fields = exc.extra.get("fields") or {}
    return " ".join(text for texts in fields.values() for text in texts) or exc.detail


def _estimate_destination(request: HttpRequest) -> tuple[str, str]:
    """Where the cart's estimate delivers to: the country asked for (`?country=`), else
    the signed-in person's default address, else nowhere yet."""
    asked = str(request.GET.get("country", "")).strip().upper()
    if asked:
        return (asked, "") if asked in dict(countries) else ("", "")
    if request.user.is_authenticated:
        address = address_default(user=request.user)
        if address is not None:
            return address.country.code, address.region
    return "", ""


@require_safe
def cart_detail(request: HttpRequest) -> HttpResponse:
    summary = selectors.cart_summary(cart=current_cart(request))
    context = {"summary": summary, "lines": summary.lines, "countries": list(countries)}
    country, region = _estimate_destination(request)
    if summary.lines and country:
        totals = selectors.cart_totals(summary=summary, country=country, region=region)
        context.update(
            estimate=totals, rows=basket_rows(totals), country_name=countries.name(country)
        )
    elif summary.lines and summary.offers:
        totals = selectors.cart_totals(summary=summary, country="")
        context.update(
            discounts=totals.discounts, items_total=totals.subtotal - totals.discount_total
        )
    if summary.offers and "estimate" in context:
        context["discounts"] = context["estimate"].discounts
    return render(request, "cart/detail.html", context)


@require_POST
def cart_voucher_add(request: HttpRequest) -> HttpResponse:
    """The cart's "Discount code" form; a code that cannot be used says why."""
    code = str(request.POST.get("code", "")).strip()[:100]
    back = _safe_next(request, request.POST.get("next")) or reverse("cart:detail")
    if not code:
        messages.error(request, _("Enter a discount code."))
        return HttpResponseRedirect(back)
    try:
        entry = services.cart_voucher_add(
            cart=current_cart(request, create=True), code=code, user=request.user
        )
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, _("Discount code %(code)s applied.") % {"code": entry.voucher.code}
        )
    return HttpResponseRedirect(back)


@require_POST
def cart_voucher_remove(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    code = str(request.POST.get("code", "")).strip()[:100]
    if cart is not None and code:
        services.cart_voucher_remove(cart=cart, code=code)
        messages.success(request, _("Discount code %(code)s removed.") % {"code": code.upper()})
    back = _safe_next(request, request.POST.get("next")) or reverse("cart:detail")
    return HttpResponseRedirect(back)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """The product page's "Add to cart" (`variant_id`, or `product_id` for a product with
    one variant). Success opens the cart; an error goes back to the product page (or to
    a safe `next`) with the reason."""
    form = CartAddForm(request.POST)
    product_id = form.data.get("product_id", "")
    variant_id = form.data.get("variant_id", "")
    if not str(product_id).isdigit() or (variant_id and not str(variant_id).isdigit()):
        raise Http404("No such product.")
    product = get_object_or_404(product_list_visible(user=request.user), pk=int(product_id))
    back = _safe_next(request, form.data.get("next")) or reverse(
        "catalog:product_detail", args=[product.slug]
    )
    if not form.is_valid():
        messages.error(request, _("Enter the quantity as a whole number."))
        return HttpResponseRedirect(back)
    quantity = form.cleaned_data["quantity"]
    quantity = 1 if quantity is None else quantity
    try:
        if variant_id:
            variant = get_object_or_404(
                variants_live(product).select_related("product"), pk=int(variant_id)
            )
        else:
            variant = services.cart_variant_of(product=product)
        services.cart_add_item(
            cart=current_cart(request, create=True), variant=variant, quantity=quantity
        )
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
        return HttpResponseRedirect(back)
    what = quoted_product(product.name, variant.options_text)
    messages.success(
        request,
        _("Added to your cart: %(product)s (quantity %(quantity)d).")
        % {"product": what, "quantity": quantity},
    )
    return redirect("cart:detail")


@require_POST
def cart_update(request: HttpRequest, item_id: int) -> HttpResponse:
    """A line's quantity form; 0 removes the line."""
    cart, item = _own_line(request, item_id)
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the quantity as a whole number."))
        return redirect("cart:detail")
    name = item.product.name
    try:
        kept = services.cart_set_quantity(
            cart=cart, item=item, quantity=form.cleaned_data["quantity"]
        )
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if kept is None:
            messages.success(request, _("“%(name)s” was removed from your cart.") % {"name": name})
        else:
            messages.success(
                request,
                _("“%(name)s”: the quantity is now %(quantity)d.")
                % {"name": name, "quantity": kept.quantity},
            )
    return redirect("cart:detail")


@require_POST
def cart_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    cart, item = _own_line(request, item_id)
    name = item.product.name
    services.cart_remove_item(cart=cart, item=item)
    messages.success(request, _("“%(name)s” was removed from your cart.") % {"name": name})
    return redirect("cart:detail")


@require_POST
def cart_clear(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    if cart is not None:
        services.cart_clear(cart=cart)
    messages.success(request, _("Your cart is empty now."))
    return redirect("cart:detail")


# --- Wishlist ---------------------------------------------------------------------------


def _saved_target(request: HttpRequest):
    """The product (and variant) a wishlist form names, as the caller may see them."""
    product_id = str(request.POST.get("product_id", ""))
    variant_id = str(request.POST.get("variant_id", "") or "")
    if not product_id.isdigit() or (variant_id and not variant_id.isdigit()):
        raise Http404("No such product.")
    product = get_object_or_404(product_list_visible(user=request.user), pk=int(product_id))
    variant = (
        get_object_or_404(variants_live(product).select_related("product"), pk=int(variant_id))
        if variant_id
        else None
    )
    return product, variant


def _owner(request: HttpRequest) -> dict:
    if request.user.is_authenticated:
        return {"user": request.user}
    return {"session": request.session}


@require_safe
def wishlist_detail(request: HttpRequest) -> HttpResponse:
    items = selectors.wishlist_items(**_owner(request))
    return render(request, "cart/wishlist.html", {"items": items})


@require_POST
def wishlist_add(request: HttpRequest) -> HttpResponse:
    """The product page's "Save" (the variant chosen, or the product)."""
    product, variant = _saved_target(request)
    back = _safe_next(request, request.POST.get("next")) or reverse("wishlist:detail")
    by_script = request.headers.get("X-Requested-With") == "fetch"  # a card's heart
    try:
        services.wishlist_add(**_owner(request), product=product, variant=variant)
    except ApplicationError as exc:
        if by_script:
            return HttpResponse(_error_text(exc), status=400, content_type="text/plain")
        messages.error(request, _error_text(exc))
    else:
        if by_script:
            return HttpResponse(status=204)
        what = quoted_product(product.name, variant.options_text if variant else "")
        messages.success(request, _("Saved to your wishlist: %(product)s.") % {"product": what})
    return HttpResponseRedirect(back)


@require_POST
def wishlist_remove(request: HttpRequest) -> HttpResponse:
    product, variant = _saved_target(request)
    services.wishlist_remove(
        **_owner(request), product_id=product.pk, variant_id=variant.pk if variant else None
    )
    messages.success(request, _("“%(name)s” is off your wishlist.") % {"name": product.name})
    return redirect("wishlist:detail")


@require_POST
def wishlist_move(request: HttpRequest) -> HttpResponse:
    """Move a saved item to the cart; a product with several variants is chosen on its
    page."""
    product, variant = _saved_target(request)
    try:
        services.wishlist_move_to_cart(
            **_owner(request),
            cart=current_cart(request, create=True),
            product=product,
            variant=variant,
        )
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("wishlist:detail")
    messages.success(request, _("“%(name)s” is in your cart now.") % {"name": product.name})
    return redirect("cart:detail")
