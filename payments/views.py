"""Storefront pages of the payments app: paying an order, the answer after paying (paid,
being confirmed, failed) and the saved cards.

Every write goes through payments.services, the functions the API calls. The pay page
asks payment_create for the order's open payment (a new one after a failed attempt).
With the dummy provider the chosen card is confirmed by the server (payment_confirm);
with Stripe the card is confirmed in the browser by Stripe.js (static/js/payments.js)
and the webhook marks the payment succeeded. A domain error is shown as a message or a
form error, never as a server error.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.guests import buyer_required
from core.errors import ApplicationError, DomainValidationError
from core.forms import form_add_service_error
from orders.access import order_for_page
from orders.models import PAID_STATUSES, Order, OrderStatus
from orders.policies import is_buyer
from orders.selectors import order_figures_for
from payments import selectors, services
from payments.exceptions import (
    OrderNotPayable,
    PaymentFailed,
    PaymentNotConfirmable,
    PaymentProviderUnavailable,
)
from payments.forms import CardPaymentForm, saved_method_label
from payments.links import result_path
from payments.models import Payment, PaymentStatus, SavedPaymentMethod
from payments.providers.dummy import SUCCEEDING as DUMMY_CARDS

P = PaymentStatus

# What a declined card means, in the words a shopper understands. Lost or stolen cards
# get the generic answer on purpose (as Stripe advises): the person paying may not be
# the card's owner.
DECLINED = gettext_lazy("Your card was declined.")
DECLINE_MESSAGES = {
    "generic_decline": DECLINED,
    "card_declined": DECLINED,
    "do_not_honor": DECLINED,
    "lost_card": DECLINED,
    "stolen_card": DECLINED,
    "fraudulent": DECLINED,
    "insufficient_funds": gettext_lazy("Your card has insufficient funds."),
    "expired_card": gettext_lazy("Your card has expired."),
    "incorrect_cvc": gettext_lazy("Your card's security code is incorrect."),
    "incorrect_number": gettext_lazy("Your card number is incorrect."),
    "card_velocity_exceeded": gettext_lazy("Your card has reached its spending limit."),
    "processing_error": gettext_lazy(
        "An error occurred while processing your card. Please try again."
    ),
    "invalid_payment_method": gettext_lazy(
        "That card cannot be used here: please choose another one."
    ),
}


def failure_reason(payment: Payment) -> str:
    """Why a payment failed, in human words (its decline code, else its failure code)."""
    for code in (payment.decline_code, payment.failure_code):
        if code in DECLINE_MESSAGES:
            return str(DECLINE_MESSAGES[code])
    return str(DECLINED)


def card_labels(payments: list[Payment]) -> dict[str, str]:
    """`Visa •••• 4242` by payment method id, for the cards that are known: the dummy
    provider's test cards, and cards their payers saved (one query, only when needed)."""
    labels: dict[str, str] = {}
    unknown: set[str] = set()
    for payment in payments:
        method = payment.payment_method
        if not method:
            continue
        if payment.provider == "dummy":
            if method in DUMMY_CARDS:
                brand, last4 = DUMMY_CARDS[method]
                labels[method] = saved_method_label(SavedPaymentMethod(brand=brand, last4=last4))
        else:
            unknown.add(method)
    if unknown:
        saved = SavedPaymentMethod.objects.filter(
            provider_method_id__in=unknown,
            user_id__in={payment.user_id for payment in payments},
        )
        for method in saved:
            labels[method.provider_method_id] = saved_method_label(method)
    return labels


# --- Helpers ---------------------------------------------------------------------------


def _own_order(request: HttpRequest, order_id) -> Order:
    """The caller's own order (a guest's: one their session placed or opened by its
    link); anyone else's (even one they may see as a shop member or staff) is a 404
    here: only the buyer pays. The buyer is `order.viewer`."""
    order, viewer = order_for_page(request, order_id)
    if not is_buyer(viewer, order):
        raise Http404("No such order.")
    order.viewer = viewer
    return order


def _order_payments(request: HttpRequest, order: Order) -> QuerySet[Payment]:
    """The order's payments (the buyer's own: `_own_order` made sure)."""
    return selectors.payments_of_order(order=order)


def _chosen_payment(request: HttpRequest, payments: QuerySet[Payment]) -> Payment | None:
    """The payment named by `?payment=<id>` (Stripe's return address carries it), None
    without one; an id that is not one of the order's payments is a 404."""
    value = request.GET.get("payment", "")
    if not value:
        return None
    try:
        payment_id = uuid.UUID(value)
    except ValueError as exc:
        raise Http404("No such payment.") from exc
    payment = payments.filter(pk=payment_id).first()
    if payment is None:
        raise Http404("No such payment.")
    return payment


def paid_url(order: Order, payment: Payment) -> str:
    return result_path("payments:paid", order_id=order.pk, payment_id=payment.pk)


def failed_url(order: Order, payment: Payment) -> str:
    return result_path("payments:failed", order_id=order.pk, payment_id=payment.pk)


def _not_payable(request: HttpRequest, order: Order) -> HttpResponse:
    order.refresh_from_db(fields=["status"])
    if order.status in PAID_STATUSES:
        messages.info(request, _("Order %(number)s is already paid.") % {"number": order.number})
    elif order.status == OrderStatus.CANCELLED:
        messages.error(
            request,
            _("Order %(number)s is cancelled: it can no longer be paid.")
            % {"number": order.number},
        )
    else:
        messages.error(request, OrderNotPayable.default_detail)
    return redirect("orders:detail", order_id=order.pk)


def _mode(payment: Payment) -> str:
    """How the page takes the card: `dummy` (a test-card form confirmed by the server),
    `stripe` (Stripe's Payment Element) or `unavailable` (Stripe without a publishable
    key: only saved cards can pay)."""
    if payment.provider == "stripe":
        return "stripe" if settings.STRIPE_PUBLISHABLE_KEY else "unavailable"
    return "dummy" if payment.provider == "dummy" else "unavailable"


def _card_form(request: HttpRequest, payment: Payment, data=None) -> CardPaymentForm:
    saved = (
        [
            method
            for method in services.saved_method_list(user=request.user)
            if method.provider == payment.provider
        ]
        # The payer's own cards, and only for them (a guest keeps none).
        if payment.user_id is not None and payment.user_id == request.user.pk
        else []
    )
    form = CardPaymentForm(
        data,
        initial={"payment": payment.pk},
        saved_methods=saved,
        test_cards=payment.provider == "dummy",
    )
    if payment.user_id is None or payment.user_id != request.user.pk:
        form.fields.pop("save_payment_method", None)
    return form


def _render_pay(
    request: HttpRequest, order: Order, payment: Payment, form: CardPaymentForm
) -> HttpResponse:
    context = {
        "order": order,
        "lines": order.visible_lines,
        "rows": order_figures_for(order=order, user=order.viewer).rows(),
        "payment": payment,
        "form": form,
        "mode": _mode(payment),
        "requires_action": payment.status == P.REQUIRES_ACTION,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "return_url": request.build_absolute_uri(paid_url(order, payment)),
        "paypal": "paypal" in services.configured_providers(),
    }
    return render(request, "payments/pay.html", context)


# --- Paying ----------------------------------------------------------------------------


@never_cache  # the page carries the payment's client secret
@require_http_methods(["GET", "POST"])
@buyer_required
def pay(request: HttpRequest, order_id) -> HttpResponse:
    order = _own_order(request, order_id)
    if request.method == "POST":
        return _pay_with_card(request, order)
    try:
        payer = order.user  # the order's owner (None: a guest's), whoever pays
        payment, _created = services.payment_create(user=payer, order=order)
    except OrderNotPayable:
        return _not_payable(request, order)
    except PaymentProviderUnavailable as exc:
        messages.error(request, exc.detail)
        return redirect("orders:detail", order_id=order.pk)
    if payment.status == P.PROCESSING:
        return redirect(paid_url(order, payment))
    return _render_pay(request, order, payment, _card_form(request, payment))


@never_cache
@require_safe
@buyer_required
def paypal_start(request: HttpRequest, order_id) -> HttpResponse:
    """Off to PayPal's window with a PayPal payment of the order (a link, so that the
    page's form-action policy need not name PayPal); an open card payment is cancelled."""
    order = _own_order(request, order_id)
    try:
        payment, _created = services.payment_create(
            user=order.user,
            order=order,
            provider="paypal",
            return_url=request.build_absolute_uri(
                reverse("payments:paypal-return", args=[order.pk])
            ),
            cancel_url=request.build_absolute_uri(reverse("payments:pay", args=[order.pk])),
        )
    except OrderNotPayable:
        return _not_payable(request, order)
    except (PaymentProviderUnavailable, DomainValidationError) as exc:
        messages.error(
            request,
            _("Paying with PayPal is not available right now. %(reason)s") % {"reason": exc.detail},
        )
        return redirect("payments:pay", order_id=order.pk)
    if payment.status == P.SUCCEEDED or not payment.redirect_url:
        return redirect(paid_url(order, payment))
    return redirect(payment.redirect_url)


@never_cache
@require_safe
@buyer_required
def paypal_return(request: HttpRequest, order_id) -> HttpResponse:
    """Back from PayPal's window: the approved order is captured here, once (coming back
    twice, or after the webhook did it, answers the first capture)."""
    order = _own_order(request, order_id)
    payment = (
        _order_payments(request, order)
        .filter(provider="paypal", provider_payment_id=request.GET.get("token", ""))
        .first()
    )
    if payment is None:
        messages.error(request, _("That PayPal payment is not one of this order's."))
        return redirect("payments:pay", order_id=order.pk)
    if payment.status in (P.SUCCEEDED, P.PROCESSING):
        return redirect(paid_url(order, payment))
    if not payment.is_confirmable:
        messages.error(request, _("This PayPal payment was replaced by another one: pay again."))
        return redirect("payments:pay", order_id=order.pk)
    try:
        payment = services.payment_confirm(payment=payment, payment_method=None)
    except PaymentFailed:
        return redirect(failed_url(order, payment))
    except OrderNotPayable:
        return _not_payable(request, order)
    except ApplicationError as exc:  # PayPal unreachable, or the payment moved on meanwhile
        messages.error(request, exc.detail)
        return redirect("payments:pay", order_id=order.pk)
    return redirect(paid_url(order, payment))


def _pay_with_card(request: HttpRequest, order: Order) -> HttpResponse:
    """Confirm the payment the form was drawn for with the chosen card."""
    try:
        payment_id = uuid.UUID(request.POST.get("payment", ""))
    except ValueError:
        payment = None
    else:
        payment = _order_payments(request, order).filter(pk=payment_id).first()
    if payment is None:
        messages.error(request, _("That payment form was out of date: here is a fresh one."))
        return redirect("payments:pay", order_id=order.pk)
    # A form sent twice (or from an old tab) lands where its first sending did.
    if payment.status == P.SUCCEEDED:
        return redirect(paid_url(order, payment))
    if payment.status == P.FAILED:
        return redirect(failed_url(order, payment))
    if not payment.is_confirmable:
        return redirect("payments:pay", order_id=order.pk)

    form = _card_form(request, payment, data=request.POST)
    if form.is_valid():
        try:
            payment = services.payment_confirm(
                payment=payment,
                payment_method=form.cleaned_data["payment_method"],
                save_payment_method=form.cleaned_data.get("save_payment_method", False),
            )
        except PaymentFailed:
            return redirect(failed_url(order, payment))
        except OrderNotPayable:
            return _not_payable(request, order)
        except PaymentNotConfirmable as exc:
            messages.error(request, exc.detail)
            return redirect("payments:pay", order_id=order.pk)
        except ApplicationError as exc:  # a validation error, the provider unreachable
            form_add_service_error(form, exc)
        else:
            if payment.status == P.REQUIRES_ACTION:
                # The bank wants the person to confirm: the pay page hands over to Stripe.js.
                return redirect("payments:pay", order_id=order.pk)
            return redirect(paid_url(order, payment))
    return _render_pay(request, order, payment, form)


# --- After paying ----------------------------------------------------------------------


@never_cache
@require_safe
@buyer_required
def paid(request: HttpRequest, order_id) -> HttpResponse:
    """Thanks for a succeeded payment; for one the provider is still confirming (Stripe
    sends the person back here before its webhook arrives), its current status."""
    order = _own_order(request, order_id)
    payments = _order_payments(request, order)
    payment = _chosen_payment(request, payments)
    if payment is None:
        payment = payments.filter(status=P.SUCCEEDED).first() or payments.first()
    if payment is None:
        return redirect("orders:detail", order_id=order.pk)
    # Stripe adds redirect_status to the return address: the person's own bank answer,
    # which may come before the webhook that updates the payment here.
    redirect_status = request.GET.get("redirect_status", "")
    if payment.status != P.SUCCEEDED:
        if redirect_status == "failed" or (
            payment.status == P.FAILED and redirect_status not in ("succeeded", "processing")
        ):
            return redirect(failed_url(order, payment))
        if payment.status == P.CANCELED:
            messages.error(request, _("This payment was cancelled."))
            return redirect("orders:detail", order_id=order.pk)
        if payment.status != P.PROCESSING and not redirect_status:
            return redirect("payments:pay", order_id=order.pk)  # not paid yet
    context = {
        "order": order,
        "payment": payment,
        "card_label": card_labels([payment]).get(payment.payment_method, ""),
        "received": payment.status == P.SUCCEEDED,
        "order_cancelled": order.status == OrderStatus.CANCELLED,
    }
    return render(request, "payments/paid.html", context)


@never_cache
@require_safe
@buyer_required
def payment_failed(request: HttpRequest, order_id) -> HttpResponse:
    """Why the card was declined, and a way to try again (with a new payment)."""
    order = _own_order(request, order_id)
    payments = _order_payments(request, order)
    payment = _chosen_payment(request, payments) or payments.filter(status=P.FAILED).first()
    if payment is None:
        return redirect("orders:detail", order_id=order.pk)
    if payment.status == P.SUCCEEDED:
        return redirect(paid_url(order, payment))
    if payment.status != P.FAILED:
        return redirect("payments:pay", order_id=order.pk)
    context = {
        "order": order,
        "payment": payment,
        "reason": failure_reason(payment),
        "may_retry": order.status == OrderStatus.PENDING,
    }
    return render(request, "payments/failed.html", context)


# --- Saved cards -----------------------------------------------------------------------


@require_safe
@login_required
def payment_methods(request: HttpRequest) -> HttpResponse:
    methods = list(services.saved_method_list(user=request.user))
    for method in methods:
        method.label = saved_method_label(method)
    return render(request, "payments/methods.html", {"methods": methods})


@require_POST
@login_required
def payment_method_remove(request: HttpRequest, method_id) -> HttpResponse:
    method = services.saved_method_list(user=request.user).filter(pk=method_id).first()
    if method is None:
        raise Http404("No such card.")
    label = saved_method_label(method, expiry=False)
    try:
        services.saved_method_delete(method=method)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(card)s is removed from your saved cards.") % {"card": label})
    return redirect("payments:methods")
