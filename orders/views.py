"""Storefront pages of the orders app: checkout, order history, an order's page and
cancelling it.

Checkout calls orders.services.order_place, the function the API calls; orders are
read through orders.selectors, so a page shows exactly what the API would (a shop
member sees orders with their shop's lines, those lines only). A domain error is shown
as a message or a form error, never as a server error.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe
from django_countries import countries

from accounts.exceptions import EmailNotVerified
from accounts.guests import buyer_of, buyer_required, guest_session_grant
from accounts.selectors import address_list, user_email_verified
from accounts.services import address_create
from cart.exceptions import InsufficientStock, ProductUnavailable
from cart.pricing import basket_rows
from cart.selectors import cart_summary, cart_totals
from cart.services import cart_get_for_session, cart_get_for_user
from core.errors import ApplicationError
from core.forms import form_add_service_error
from core.security.throttles import CheckoutThrottle
from orders import policies, selectors, services
from orders.access import order_for_page
from orders.exceptions import CartEmpty, OrderNotCancellable, OrderPermissionDenied
from orders.forms import CheckoutForm, chosen_methods
from orders.links import order_id_from_link
from orders.models import Order, OrderStatus
from shipping.exceptions import NotShippable

ORDERS_PER_PAGE = 20


# --- Checkout ------------------------------------------------------------------------------


class _AddressRejected(Exception):
    """Saving a typed address failed: its order is rolled back and the form says why."""


def _unverified(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    return render(request, "orders/checkout_unverified.html", status=status)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """A signed-in person's checkout (their email address verified), or a guest's: the
    session's cart, an email address for the order's mails, no address book."""
    user = request.user
    guest = not user.is_authenticated
    if guest:
        cart = cart_get_for_session(session=request.session)
        buyer = buyer_of(request)
    else:
        if not user_email_verified(user=user):
            # A POST is refused with the same explanation: nothing is written.
            return _unverified(request, status=403 if request.method == "POST" else 200)
        cart = cart_get_for_user(user=user)
        buyer = user
    summary = cart_summary(cart=cart)
    if not summary.lines:
        messages.info(request, _("Your cart is empty: add something to it before checking out."))
        return redirect("cart:detail")
    if request.method == "GET" and summary.has_problems:
        messages.warning(request, _("Some items in your cart need your attention first."))
        return redirect("cart:detail")

    form = CheckoutForm(
        request.POST or None,
        addresses=[] if guest else list(address_list(user=user)),
        guest=guest,
    )
    chosen = chosen_methods(request.POST)
    refresh = "refresh" in request.POST  # "Update delivery options": nothing is placed
    if request.method == "POST" and not refresh and form.is_valid():
        # The API's limit on placing orders, per account or (a guest) per address.
        throttle = CheckoutThrottle()
        if not throttle.allow_request(request, None):
            minutes = max(1, round(throttle.wait() / 60))
            messages.error(
                request,
                ngettext(
                    "Too many orders placed from here in a short while: try again in "
                    "%(minutes)d minute.",
                    "Too many orders placed from here in a short while: try again in "
                    "%(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            return redirect("cart:detail")
        try:
            # One transaction: an address saved to the book is kept only with its order.
            with transaction.atomic():
                order = services.order_place(
                    user=buyer,
                    cart=cart,
                    shipping_address=form.shipping_address(),
                    billing_address=form.billing_address(),
                    shipping_methods=chosen,
                    email=form.cleaned_data.get("email", ""),
                )
                for address_form, data in form.addresses_to_save():
                    try:
                        address_create(user=user, data=data)
                    except (ApplicationError, DjangoValidationError) as exc:
                        form_add_service_error(address_form, exc)
                        raise _AddressRejected from exc
        except (InsufficientStock, ProductUnavailable, CartEmpty) as exc:
            messages.error(
                request,
                _("%(reason)s Nothing was ordered: check your cart.") % {"reason": exc.detail},
            )
            return redirect("cart:detail")
        except EmailNotVerified:
            return _unverified(request, status=403)
        except _AddressRejected:
            pass
        except NotShippable as exc:
            messages.error(
                request,
                _("%(reason)s Choose another address, or remove its items.")
                % {"reason": exc.detail},
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            if guest:  # this session may read and pay the order it placed
                guest_session_grant(request.session, order.pk)
            messages.success(
                request, _("Thank you! Your order %(number)s is placed.") % {"number": order.number}
            )
            return redirect("orders:detail", order_id=order.pk)

    if refresh:
        form.keep_input_without_errors()
    country, region = form.destination()
    totals = cart_totals(summary=summary, country=country, region=region, chosen=chosen)
    context = {
        "form": form,
        "summary": summary,
        "lines": summary.lines,
        "totals": totals,
        "rows": basket_rows(totals),
        "country_name": countries.name(country) if country else "",
        "reservation_minutes": services.reservation_minutes(),
    }
    return render(request, "orders/checkout.html", context)


# --- Order history and an order's page ---------------------------------------------------


@require_safe
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.order_list_for(user=request.user), ORDERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    orders = list(page.object_list)
    sees_all = policies.may_view_all_orders(request.user)
    for order in orders:
        # The lines are prefetched (and limited to what the caller may see).
        order.item_count = sum(line.quantity for line in order.visible_lines)
        order.is_own = order.user_id == request.user.pk
        order.figures = selectors.order_figures_for(
            order=order, user=request.user, sees_all=sees_all
        )
    page_range = (
        list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
        if paginator.num_pages > 1
        else []
    )
    context = {
        "orders": orders,
        "page_obj": page,
        "page_range": page_range,
        "ellipsis": Paginator.ELLIPSIS,
    }
    return render(request, "orders/order_list.html", context)


def _address_display(address: dict | None) -> dict | None:
    """An order's address snapshot with its country's name, for the page."""
    if not address:
        return None
    code = address.get("country") or ""
    return {**address, "country_name": countries.name(code) or code}


@require_safe
@buyer_required
def order_detail(request: HttpRequest, order_id) -> HttpResponse:
    order, viewer = order_for_page(request, order_id)
    lines = order.visible_lines
    is_pending = order.status == OrderStatus.PENDING
    now = timezone.localtime()
    reserved_until = timezone.localtime(order.reserved_until) if order.reserved_until else None
    figures = selectors.order_figures_for(order=order, user=viewer)
    names = {line.pk: line for line in lines}
    for shipment in figures.shipments:
        for fulfilment in shipment.fulfilment_list:
            fulfilment.sent = [
                (names.get(sent.order_line_id), sent.quantity) for sent in fulfilment.line_list
            ]
    context = {
        "order": order,
        "figures": figures,
        "shipments": figures.shipments,
        "lines": lines,
        "history": order.history,
        "is_own": policies.is_buyer(viewer, order),
        "viewer": viewer,
        # A guest's order: the page offers an account that would adopt it.
        "offer_account": order.user_id is None and not request.user.is_authenticated,
        "is_pending": is_pending,
        "reservation_expired": bool(is_pending and reserved_until and reserved_until <= now),
        "reserved_another_day": bool(reserved_until and reserved_until.date() != now.date()),
        "shipping_address": _address_display(order.shipping_address),
        "billing_address": _address_display(figures.billing_address),
        "may_cancel": services.order_may_cancel(order=order, by=viewer),
    }
    return render(request, "orders/order_detail.html", context)


@require_http_methods(["GET", "POST"])
@buyer_required
def order_cancel(request: HttpRequest, order_id) -> HttpResponse:
    """A confirmation page, then the cancellation: the stock returns, and what was paid
    is refunded (the payments app answers the order_cancelled signal)."""
    order, viewer = order_for_page(request, order_id)
    if not policies.is_buyer(viewer, order) and not policies.may_change_orders(viewer):
        raise PermissionDenied(OrderPermissionDenied.default_detail)
    if request.method == "POST":
        try:
            services.order_cancel(order=order, by=viewer)
        except OrderNotCancellable as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, _("Your order %(number)s is cancelled.") % {"number": order.number}
            )
        return redirect("orders:detail", order_id=order.pk)
    if not services.order_may_cancel(order=order, by=viewer):
        messages.error(request, OrderNotCancellable.default_detail)
        return redirect("orders:detail", order_id=order.pk)
    return render(request, "orders/order_cancel.html", {"order": order})


@require_safe
def order_link(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link of a guest's order mails (orders.links): this browser may read
    the order and act as its buyer from now on, and the address it was mailed to is
    confirmed (an order that waited for that goes to the sellers)."""
    order_id = order_id_from_link(token)
    order = Order.objects.filter(pk=order_id).first() if order_id else None
    if order is None:
        return render(request, "orders/link_invalid.html", status=404)
    if order.user_id is not None:  # an account adopted it: its owner signs in to read it
        messages.info(request, _("This order is in your account now: sign in to see it."))
        return redirect_to_login(reverse("orders:detail", args=[order.pk]))
    guest_session_grant(request.session, order.pk)
    if order.email_confirmed_at is None and services.order_confirm_email(order=order):
        messages.success(request, _("Thank you: your email address is confirmed."))
    return redirect("orders:detail", order_id=order.pk)
