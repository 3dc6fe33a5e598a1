"""Creating and confirming payments, saved cards and provider customers; the amount
always comes from the order."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import metrics
from core.errors import DomainValidationError
from notifications.models import Kind
from notifications.services import notify
from orders.links import order_path
from orders.models import Order, OrderStatus
from orders.services import (
    order_hold_stock,
    order_lock,
    order_mark_paid,
    reservation_minutes,
)
from payments.exceptions import (
    OrderNotPayable,
    PaymentFailed,
    PaymentNotApproved,
    PaymentNotConfirmable,
    PaymentProviderUnavailable,
    PaymentsNotConfigured,
)
from payments.links import result_path
from payments.models import (
    OPEN_STATUSES,
    Payment,
    PaymentStatus,
    ProviderCustomer,
    RefundReason,
    SavedPaymentMethod,
)
from payments.providers import configured_providers, get_provider, provider_name
from payments.providers.base import (
    ApprovalRequired,
    CardDeclined,
    Intent,
    ProviderError,
    to_minor_units,
)

logger = logging.getLogger(__name__)
P = PaymentStatus


@contextmanager
def _provider_answers():
    """Inside: a call to the provider; its failure (unreachable, or refusing the request)
    becomes the domain's PaymentProviderUnavailable (502). A declined card is not a
    failure of the provider: CardDeclined passes through, for the caller to record."""
    try:
        yield
    except ProviderError as exc:
        raise PaymentProviderUnavailable() from exc


# --- Customers and saved cards ---------------------------------------------------------


def customer_for(*, user: User | None, create: bool) -> str | None:
    """The person's customer at the provider (their saved cards); a guest has none."""
    if user is None:
        return None
    provider = get_provider()
    record = ProviderCustomer.objects.filter(user=user, provider=provider.name).first()
    if record is None and create:
        with _provider_answers():
            customer_id = provider.create_customer(email=user.email, user_id=user.pk)
        record, _created = ProviderCustomer.objects.get_or_create(
            user=user, provider=provider.name, defaults={"customer_id": customer_id}
        )
    return record.customer_id if record else None


def saved_method_list(*, user: User):
    return SavedPaymentMethod.objects.filter(user=user, provider=provider_name())


@transaction.atomic
def saved_method_delete(*, method: SavedPaymentMethod) -> None:
    """Detach the card at the provider and forget it."""
    with _provider_answers():
        get_provider(method.provider).detach_card(method_id=method.provider_method_id)
    method.delete()


def _remember_card(*, user: User, provider: str, intent: Intent) -> None:
    if not intent.payment_method or not intent.card:
        return
    SavedPaymentMethod.objects.get_or_create(
        provider=provider,
        provider_method_id=intent.payment_method,
        defaults={
            "user": user,
            "brand": intent.card.get("brand", ""),
            "last4": intent.card.get("last4", ""),
            "exp_month": intent.card.get("exp_month"),
            "exp_year": intent.card.get("exp_year"),
        },
    )


# --- Creating and confirming -----------------------------------------------------------


def payment_create(
    *,
    user: User | None,
    order: Order,
    provider: str | None = None,
    return_url: str = "",
    cancel_url: str = "",
) -> tuple[Payment, bool]:
    """The order's open payment, or a new PaymentIntent for its total; (payment, created).
    `user`: the payer's account, None for a guest. `provider`: one of
    `configured_providers()` (the card provider when None); an open attempt with another
    provider is cancelled first (a shopper switching from card to PayPal or back).
    `return_url`/`cancel_url`: where PayPal sends the payer back. `order` as just read
    (its status and total are checked again under its lock before anything is written).

    The provider is called between two short transactions, never inside one (a slow
    provider holds no lock): the order's attempts are read and the new attempt's
    idempotency key chosen, the provider makes the intent, and the payment is recorded
    under the order's row lock, where the order is checked again. Two simultaneous
    requests choose the same key, so the provider answers both with one intent and the
    key's unique constraint keeps one row: the later request answers that one.
    """
    name = provider or provider_name()
    if name not in configured_providers():
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(configured_providers())}
        raise DomainValidationError(message, fields={"provider": [message]})
    _check_payable(order)
    # The order's attempts (a handful) in one read: an open one is answered as it is.
    attempts = list(order.payments.all())  # newest first
    existing = next((p for p in attempts if p.status in OPEN_STATUSES), None)
    if existing is not None and existing.provider == name:
        return existing, False
    if existing is not None and existing.status == P.PROCESSING:
        # The money may already be on its way (a bank debit): no second attempt.
        raise OrderNotPayable(
            _("A payment of this order is on its way: it is paid as soon as it settles.")
        )
    gateway = get_provider(name)
    key = f"order-{order.pk}-attempt-{len(attempts) + 1}"
    with _provider_answers():
        intent = gateway.create_intent(
            amount=to_minor_units(order.total, order.currency),
            currency=order.currency,
            idempotency_key=key,
            customer_id=customer_for(user=user, create=False) if name != "paypal" else None,
            metadata={"order_id": str(order.pk), "order_number": order.number},
            return_url=return_url,
            cancel_url=cancel_url,
        )
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            payable = _payable(locked)
            if payable and existing is not None:
                # The shopper switched: the other attempt, if still open, can no longer pay.
                others = list(
                    Payment.objects.filter(order_id=order.pk, status__in=OPEN_STATUSES).exclude(
                        provider=name
                    )
                )
                if any(p.status == P.PROCESSING for p in others):
                    payable = False
                elif others:
                    _cancel_attempts(others)
            # A refused attempt is recorded too, cancelled: its key is used up, so the
            # next attempt asks the provider for a new intent, not this one's replay.
            payment = Payment.objects.create(
                order=locked,
                user=user,
                provider=gateway.name,
                provider_payment_id=intent.id,
                status=intent.status if payable else P.CANCELED,
                amount=locked.total,
                currency=locked.currency,
                client_secret=intent.client_secret,
                redirect_url=intent.action_url[:500],
                idempotency_key=key,
            )
    except IntegrityError:  # a simultaneous request recorded this attempt first
        recorded = Payment.objects.get(idempotency_key=key)
        if recorded.provider_payment_id != intent.id:  # not the intent we were given
            _cancel_intent(gateway, intent.id)
        return recorded, False
    if not payable:  # paid, cancelled or run out while the provider answered
        _cancel_intent(gateway, intent.id)
        _check_payable(locked)
        raise OrderNotPayable(
            _("A payment of this order is on its way: it is paid as soon as it settles.")
        )
    return payment, True


def _payable(order: Order) -> bool:
    return order.status == OrderStatus.PENDING and (
        order.reserved_until is None or order.reserved_until > timezone.now()
    )


def _check_payable(order: Order) -> None:
    """Raise OrderNotPayable unless the order waits for its payment."""
    if order.status != OrderStatus.PENDING:
        raise OrderNotPayable()
    if order.reserved_until is not None and order.reserved_until <= timezone.now():
        raise OrderNotPayable(_("The hold on these items ran out: place the order again."))


def _cancel_intent(gateway, intent_id: str) -> None:
    """Best effort: an intent nobody will pay is cancelled at its provider."""
    try:
        gateway.cancel_intent(intent_id=intent_id)
    except ProviderError:
        logger.warning("could not cancel intent %s", intent_id)


def payment_confirm(
    *, payment: Payment, payment_method: str | None, save_payment_method: bool = False
) -> Payment:
    """Confirm server-side (mobile clients, the dummy card form). A decline records the
    payment as failed, leaves the order pending and raises PaymentFailed (402).

    `payment` as just read (with its order). No lock is held while the provider answers:
    the provider decides whether the intent can still be confirmed, and what it answered
    is recorded under the order's and the payment's row locks (payment_mark_succeeded
    pays the order once, and gives the money back when the order can no longer take it).
    """
    if payment.status == P.SUCCEEDED:
        return payment
    if not payment.is_confirmable:
        raise PaymentNotConfirmable()
    if payment.order.status != OrderStatus.PENDING:
        raise OrderNotPayable()
    provider = get_provider(payment.provider)
    if not payment_method and provider.needs_payment_method:
        message = _("Choose a payment method (a card).")
        raise DomainValidationError(message, fields={"payment_method": [message]})
    # A guest's card is not kept: there is no account to keep it for.
    save_payment_method = save_payment_method and payment.user_id is not None
    customer_id = customer_for(user=payment.user, create=True) if save_payment_method else None
    try:
        with _provider_answers():
            intent = provider.confirm_intent(
                intent_id=payment.provider_payment_id,
                payment_method=payment_method,
                save_for_customer=customer_id,
                # Where a method that leaves for the bank comes back (Stripe).
                return_url=_paid_page(payment),
            )
    except CardDeclined as declined:
        failure = declined
    except ApprovalRequired as exc:  # PayPal: not approved yet; the payment stays open
        raise PaymentNotApproved() from exc
    else:
        failure = None
    if failure is not None:
        _payment_record_failure(
            payment=payment,
            code=failure.code,
            decline_code=failure.decline_code or failure.code,
            message=failure.message,
            payment_method=payment_method,
        )
        raise PaymentFailed(failure.message, decline_code=failure.decline_code or failure.code)
    if intent.charge_id:
        Payment.objects.filter(pk=payment.pk).update(provider_charge_id=intent.charge_id)
    if intent.status == P.SUCCEEDED:
        if save_payment_method:
            _remember_card(user=payment.user, provider=payment.provider, intent=intent)
        return payment_mark_succeeded(payment=payment, payment_method=intent.payment_method)
    # Only while still open: a webhook may have settled it since the provider answered.
    moved = Payment.objects.filter(pk=payment.pk, status__in=OPEN_STATUSES).update(
        status=intent.status, payment_method=intent.payment_method, updated_at=timezone.now()
    )
    if moved and intent.status == P.PROCESSING:
        payment_hold_while_processing(payment=payment)
    payment.refresh_from_db()
    return payment


def _paid_page(payment: Payment) -> str:
    from django.conf import settings

    path = result_path("payments:paid", order_id=payment.order_id, payment_id=payment.pk)
    return f"{settings.SITE_URL}{path}"


def processing_hold_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "PAYMENT_PROCESSING_HOLD_DAYS", 21))


def payment_hold_while_processing(*, payment: Payment) -> None:
    """A payment that settles later (a SEPA debit, a PayPal eCheck) keeps the order's
    stock until it does: the order's reservation is extended to
    PAYMENT_PROCESSING_HOLD_DAYS (the webhook then pays or fails it)."""
    order_hold_stock(
        order_id=payment.order_id,
        until=timezone.now() + timedelta(days=processing_hold_days()),
    )


@transaction.atomic
def payment_mark_processing(*, payment: Payment) -> Payment:
    """The provider says the money is on its way (webhook): hold the stock meanwhile."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status in OPEN_STATUSES:
        payment.status = P.PROCESSING
        payment.save(update_fields=["status", "updated_at"])
        payment_hold_while_processing(payment=payment)
    return payment


@transaction.atomic
def _payment_record_failure(
    *, payment: Payment, code: str, decline_code: str, message: str, payment_method: str = ""
) -> None:
    Order.objects.select_for_update().filter(pk=payment.order_id).first()  # order, then payment
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
    if payment.status in (P.SUCCEEDED, P.FAILED):
        return
    was_processing = payment.status == P.PROCESSING
    words = {"number": payment.order.number, "reason": message[:300]}
    notify(
        user_ids=[payment.user_id],
        kind=Kind.PAYMENT_FAILED,
        title=lambda: _("Your payment for order %(number)s did not go through") % words,
        body=lambda: _("%(reason)s Your order waits: pay again from its page.") % words,
        link=order_path(payment.order),
    )
    metrics.counted_after_commit(metrics.PAYMENTS.labels(payment.provider, "failed"))
    payment.status = P.FAILED
    payment.failure_code = code[:100]
    payment.decline_code = decline_code[:100]
    payment.failure_message = message[:500]
    payment.payment_method = payment_method or payment.payment_method
    payment.save()
    if was_processing:  # the long hold ends: the usual time to pay again
        order_hold_stock(
            order_id=payment.order_id,
            until=timezone.now() + timedelta(minutes=reservation_minutes()),
            shorten=True,
        )


@transaction.atomic
def payment_mark_succeeded(*, payment: Payment, payment_method: str = "") -> Payment:
    """The provider took the money: the payment succeeds and the order is paid, once.

    If the order was cancelled meanwhile (its reservation ran out), the money goes
    straight back; so does money taken by an attempt given up for another one that paid
    the order (PayPal's answer lost, then the card paid: its capture arrives later).
    """
    # The order's row, then the payment's (the one order of locks in payments); the order
    # as orders.services locks it (with its buyer), handed on locked.
    order = order_lock(order_id=payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.order = order
    if payment.status == P.SUCCEEDED:
        return payment
    # The order's other attempts (a handful), read once: one paid already, or open ones.
    others = list(Payment.objects.filter(order_id=payment.order_id).exclude(pk=payment.pk))
    metrics.counted_after_commit(metrics.PAYMENTS.labels(payment.provider, "succeeded"))
    payment.status = P.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.payment_method = payment_method or payment.payment_method
    payment.failure_code = payment.decline_code = payment.failure_message = ""
    payment.save()
    payment_id = payment.pk
    if any(other.status == P.SUCCEEDED for other in others):
        logger.warning("payment %s succeeded for an order paid already: refunding", payment_id)
        transaction.on_commit(lambda: _queue_refund(payment_id, RefundReason.DUPLICATE))
        return payment
    still_open = [other for other in others if other.status in OPEN_STATUSES]
    if still_open:  # one payment succeeded: the order's other attempts can no longer pay
        _cancel_attempts(still_open)
    # The note is shown to the buyer in the order's timeline: words, not ids.
    amount, currency = payment.amount, payment.currency.upper()

    def note() -> str:  # written in the buyer's language (orders.services)
        return _("Payment of %(amount)s %(currency)s received") % {
            "amount": amount,
            "currency": currency,
        }

    if not order_mark_paid(order=order, note=note, locked=True):
        logger.warning(
            "payment %s succeeded for unpayable order %s: refunding", payment.pk, payment.order_id
        )
        transaction.on_commit(lambda: _queue_refund(payment_id, RefundReason.ORDER_CANCELLED))
        return payment
    payment.refund_list = []  # it paid the order just now: nothing given back (no read)
    return payment


def _cancel_attempts(attempts: list[Payment]) -> None:
    """Open attempts that can no longer pay: cancelled here now, at the provider after
    commit (a slow provider never holds the transaction)."""
    Payment.objects.filter(pk__in=[attempt.pk for attempt in attempts]).update(
        status=P.CANCELED, updated_at=timezone.now()
    )

    def cancel_at_provider() -> None:
        for other in attempts:
            try:
                get_provider(other.provider).cancel_intent(intent_id=other.provider_payment_id)
            except (ProviderError, PaymentsNotConfigured):
                logger.warning("could not cancel intent of payment %s", other.pk)

    transaction.on_commit(cancel_at_provider)


def _queue_refund(payment_id, reason: str) -> None:
    from payments.tasks import refund_payment

    refund_payment.delay(str(payment_id), reason)
