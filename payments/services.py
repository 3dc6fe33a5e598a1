"""Payments for orders: money moves exactly once and the books agree with the provider.

The amount always comes from the order. Every write that follows a provider answer is
idempotent (a status can only move forward), so a retried request, a replayed webhook
and the synchronous confirmation answer can all report the same fact safely.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError, DomainValidationError, NotPermitted
from orders.models import Order, OrderStatus
from orders.services import order_mark_paid, order_record_refund
from payments.exceptions import (
    OrderNotPayable,
    PaymentFailed,
    PaymentNotConfirmable,
    PaymentNotRefundable,
    PaymentProviderUnavailable,
    WebhookNotConfigured,
    WebhookSignatureInvalid,
)
from payments.models import (
    OPEN_STATUSES,
    Payment,
    PaymentStatus,
    ProviderCustomer,
    Refund,
    RefundReason,
    RefundStatus,
    SavedPaymentMethod,
    WebhookEvent,
)
from payments.policies import may_refund
from payments.providers import get_provider, provider_name
from payments.providers.base import (
    CardDeclined,
    Intent,
    InvalidSignature,
    ProviderError,
    from_minor_units,
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


def customer_for(*, user: User, create: bool) -> str | None:
    provider = get_provider()
    record = ProviderCustomer.objects.filter(user=user, provider=provider.name).first()
    if record is None and create:
        with _provider_answers():
            customer_id = provider.create_customer(email=user.email, user_id=user.pk)
        record, _ = ProviderCustomer.objects.get_or_create(
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


@transaction.atomic
def payment_create(*, user: User, order: Order) -> tuple[Payment, bool]:
    """The order's open payment, or a new PaymentIntent for its total; (payment, created).

    The order row is locked, so two simultaneous requests make one intent; the
    idempotency key makes a retried provider call answer the same intent.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PENDING:
        raise OrderNotPayable()
    if order.reserved_until is not None and order.reserved_until <= timezone.now():
        raise OrderNotPayable("The hold on these items ran out: place the order again.")
    # The order's attempts (a handful) in one read: an open one is answered as it is.
    attempts = list(order.payments.all())  # newest first
    existing = next((p for p in attempts if p.status in OPEN_STATUSES), None)
    if existing is not None:
        return existing, False
    provider = get_provider()
    attempt = len(attempts) + 1
    key = f"order-{order.pk}-attempt-{attempt}"
    with _provider_answers():
        intent = provider.create_intent(
            amount=to_minor_units(order.total, order.currency),
            currency=order.currency,
            idempotency_key=key,
            customer_id=customer_for(user=user, create=False),
            metadata={"order_id": str(order.pk), "order_number": order.number},
        )
    payment = Payment.objects.create(
        order=order,
        user=user,
        provider=provider.name,
        provider_payment_id=intent.id,
        status=intent.status,
        amount=order.total,
        currency=order.currency,
        client_secret=intent.client_secret,
        idempotency_key=key,
    )
    return payment, True


def payment_confirm(
    *, payment: Payment, payment_method: str | None, save_payment_method: bool = False
) -> Payment:
    """Confirm server-side (mobile clients, the dummy card form). A decline records the
    payment as failed, leaves the order pending and raises PaymentFailed (402)."""
    with transaction.atomic():
        # The order comes along (read, not locked: order_mark_paid locks it).
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=payment.pk)
        )
        if payment.status == P.SUCCEEDED:
            return payment
        if not payment.is_confirmable:
            raise PaymentNotConfirmable()
        if payment.order.status != OrderStatus.PENDING:
            raise OrderNotPayable()
        if not payment_method:
            message = "Choose a payment method (a card)."
            raise DomainValidationError(message, fields={"payment_method": [message]})
        provider = get_provider(payment.provider)
        customer_id = customer_for(user=payment.user, create=True) if save_payment_method else None
        try:
            with _provider_answers():
                intent = provider.confirm_intent(
                    intent_id=payment.provider_payment_id,
                    payment_method=payment_method,
                    save_for_customer=customer_id,
                )
        except CardDeclined as declined:
            failure = declined
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
    if intent.status == P.SUCCEEDED:
        if save_payment_method:
            _remember_card(user=payment.user, provider=payment.provider, intent=intent)
        return payment_mark_succeeded(payment=payment, payment_method=intent.payment_method)
    Payment.objects.filter(pk=payment.pk).update(
        status=intent.status, payment_method=intent.payment_method, updated_at=timezone.now()
    )
    payment.refresh_from_db()
    return payment


@transaction.atomic
def _payment_record_failure(
    *, payment: Payment, code: str, decline_code: str, message: str, payment_method: str = ""
) -> None:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == P.SUCCEEDED:
        return
    payment.status = P.FAILED
    payment.failure_code = code[:100]
    payment.decline_code = decline_code[:100]
    payment.failure_message = message[:500]
    payment.payment_method = payment_method or payment.payment_method
    payment.save()


@transaction.atomic
def payment_mark_succeeded(*, payment: Payment, payment_method: str = "") -> Payment:
    """The provider took the money: the payment succeeds and the order is paid, once.

    If the order was cancelled meanwhile (its reservation ran out), the money goes
    straight back.
    """
    payment = (
        Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment.pk)
    )
    if payment.status == P.SUCCEEDED:
        return payment
    payment.status = P.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.payment_method = payment_method or payment.payment_method
    payment.failure_code = payment.decline_code = payment.failure_message = ""
    payment.save()
    _cancel_other_open_payments(payment)
    # The note is shown to the buyer in the order's timeline: words, not ids.
    note = f"Payment of {payment.amount} {payment.currency.upper()} received"
    if not order_mark_paid(order=payment.order, note=note):
        logger.warning(
            "payment %s succeeded for unpayable order %s: refunding", payment.pk, payment.order_id
        )
        payment_id = payment.pk
        transaction.on_commit(lambda: _queue_refund(payment_id, RefundReason.ORDER_CANCELLED))
    return payment


def _cancel_other_open_payments(payment: Payment) -> None:
    """One payment succeeded: the order's other open attempts can no longer be paid."""
    others = list(
        Payment.objects.filter(order_id=payment.order_id, status__in=OPEN_STATUSES).exclude(
            pk=payment.pk
        )
    )
    if not others:
        return
    Payment.objects.filter(pk__in=[other.pk for other in others]).update(
        status=P.CANCELED, updated_at=timezone.now()
    )

    def cancel_at_provider() -> None:
        for other in others:
            try:
                get_provider(other.provider).cancel_intent(intent_id=other.provider_payment_id)
            except ProviderError:
                logger.warning("could not cancel intent of payment %s", other.pk)

    transaction.on_commit(cancel_at_provider)


def _queue_refund(payment_id, reason: str) -> None:
    from payments.tasks import refund_payment

    refund_payment.delay(str(payment_id), reason)


# --- Refunds ---------------------------------------------------------------------------


def _apply_refund(*, refund: Refund) -> None:
    """Count a succeeded refund on its payment and order (called once per refund)."""
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    payment.refunded_amount = min(payment.amount, payment.refunded_amount + refund.amount)
    payment.save(update_fields=["refunded_amount", "updated_at"])
    order_record_refund(
        order=payment.order,
        amount=refund.amount,
        note=f"Refund of {refund.amount} {refund.currency.upper()}",
    )


@transaction.atomic
def payment_refund(
    *,
    payment: Payment,
    amount: Decimal | None = None,
    reason: str = RefundReason.REQUESTED_BY_CUSTOMER,
    by: User | None = None,
) -> Refund:
    """Give back all or part of a succeeded payment; refunds add up to at most the amount.
    `by`: the staff member asking (payments.policies.may_refund), None for the system."""
    if by is not None and not may_refund(by):
        raise NotPermitted("You do not have permission to refund payments.")
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != P.SUCCEEDED:
        raise PaymentNotRefundable()
    pending = sum(
        (r.amount for r in payment.refunds.filter(status=RefundStatus.PENDING)), Decimal("0")
    )
    remaining = payment.amount - payment.refunded_amount - pending
    if amount is None:
        amount = remaining
    if reason not in RefundReason.values:
        message = f"Choose one of: {', '.join(RefundReason.values)}."
        raise DomainValidationError(message, fields={"reason": [message]})
    if amount <= 0 or amount > remaining:
        message = (
            f"At most {remaining:.2f} {payment.currency} remains to refund."
            if remaining > 0
            else "Nothing remains to refund on this payment."
        )
        raise DomainValidationError(message, fields={"amount": [message]})
    number = payment.refunds.count() + 1
    minor_amount = to_minor_units(amount, payment.currency)
    with _provider_answers():
        answer = get_provider(payment.provider).refund(
            intent_id=payment.provider_payment_id,
            amount=minor_amount,
            reason=reason,
            # The amount is part of the key: a retry after a rolled-back attempt with
            # another amount must not be mistaken for the same request.
            idempotency_key=f"refund-{payment.pk}-{number}-{minor_amount}",
        )
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        status=_refund_status(answer.status),
        provider_refund_id=answer.id,
        created_by=by,
    )
    if refund.status == RefundStatus.SUCCEEDED:
        _apply_refund(refund=refund)
    return refund


def _refund_status(value: str) -> str:
    return value if value in RefundStatus.values else RefundStatus.PENDING


@transaction.atomic
def refund_sync(*, provider: str, data: dict[str, Any]) -> Refund | None:
    """A refund as the provider reports it (webhooks): recorded once, counted once."""
    if not data.get("id"):
        return None
    refund = Refund.objects.select_for_update().filter(provider_refund_id=data["id"]).first()
    if refund is None:
        payment = Payment.objects.filter(
            provider=provider, provider_payment_id=data.get("payment_intent") or ""
        ).first()
        if payment is None:
            return None
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    payment=payment,
                    amount=from_minor_units(int(data.get("amount", 0)), payment.currency),
                    currency=payment.currency,
                    reason=RefundReason.OTHER,
                    status=RefundStatus.PENDING,
                    provider_refund_id=data["id"],
                )
        except IntegrityError:
            refund = Refund.objects.select_for_update().get(provider_refund_id=data["id"])
    new_status = _refund_status(data.get("status", ""))
    if refund.status == RefundStatus.SUCCEEDED or new_status == refund.status:
        return refund
    refund.status = new_status
    refund.save(update_fields=["status", "updated_at"])
    if new_status == RefundStatus.SUCCEEDED:
        _apply_refund(refund=refund)
    return refund


def order_refund_in_full(
    *, order_id, by: User | None, reason: str = RefundReason.REQUESTED_BY_CUSTOMER
) -> tuple[list[Refund], list[Exception]]:
    """Give back what remains of every succeeded payment of an order: the refunds made
    and the refusals. Each payment in its own savepoint: the provider has moved the money
    once it answers, so a refusal for one payment must not undo the record of another.
    `by`: staff asking (payments.policies.may_refund), None for the system."""
    if by is not None and not may_refund(by):
        raise NotPermitted("You do not have permission to refund payments.")
    refunds: list[Refund] = []
    refusals: list[Exception] = []
    payments = Payment.objects.filter(order_id=order_id, status=P.SUCCEEDED)
    for payment in payments:
        if payment.refundable_amount <= 0:
            continue
        try:
            with transaction.atomic():
                refunds.append(payment_refund(payment=payment, reason=reason, by=by))
        except (ApplicationError, DjangoValidationError) as refusal:
            refusals.append(refusal)
    return refunds, refusals


def order_payments_settle_on_cancel(*, order_id) -> None:
    """A cancelled order: refund what was paid, cancel payments still open. A refused
    refund means refunds already under way cover it; an unreachable provider is raised,
    for the task to try again."""
    _refunds, refusals = order_refund_in_full(
        order_id=order_id, by=None, reason=RefundReason.ORDER_CANCELLED
    )
    for refusal in refusals:
        if isinstance(refusal, PaymentProviderUnavailable):
            raise refusal
    for payment in Payment.objects.filter(order_id=order_id, status__in=OPEN_STATUSES):
        if payment.status in OPEN_STATUSES:
            try:
                get_provider(payment.provider).cancel_intent(intent_id=payment.provider_payment_id)
            except (ProviderError, PaymentProviderUnavailable):
                # The provider is unreachable or no longer configured (say, dummy payments
                # switched off): the intent dies with its order here all the same.
                logger.warning("could not cancel intent of payment %s", payment.pk)
            Payment.objects.filter(pk=payment.pk, status__in=OPEN_STATUSES).update(
                status=P.CANCELED, updated_at=timezone.now()
            )


# --- Webhooks --------------------------------------------------------------------------


def webhook_receive(*, provider: str, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify and store an event under its id; a new event is processed by a worker.

    A replay (same id) is answered the same and changes nothing.
    """
    from django.conf import settings

    if provider == "stripe" and not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookNotConfigured()
    try:
        event = get_provider(provider).parse_webhook(payload=payload, signature=signature)
    except InvalidSignature as exc:
        raise WebhookSignatureInvalid() from exc
    with transaction.atomic():
        stored, created = WebhookEvent.objects.get_or_create(
            provider=provider,
            event_id=event.id,
            defaults={"type": event.type, "payload": event.payload},
        )
        # A resent event that was never applied (its task was lost or gave up) is queued
        # again: processing locks the event and skips it once done, so this is safe.
        if created or stored.status in (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED):
            from payments.tasks import process_webhook_event

            event_pk = stored.pk
            transaction.on_commit(lambda: process_webhook_event.delay(event_pk))
    return stored, created


def _handle_intent_succeeded(provider: str, data: dict[str, Any]) -> bool:
    payment = Payment.objects.filter(
        provider=provider, provider_payment_id=data.get("id", "")
    ).first()
    if payment is None:
        return False
    method = data.get("payment_method") or ""
    payment_mark_succeeded(
        payment=payment, payment_method=method if isinstance(method, str) else ""
    )
    return True


def _handle_intent_failed(provider: str, data: dict[str, Any]) -> bool:
    payment = Payment.objects.filter(
        provider=provider, provider_payment_id=data.get("id", "")
    ).first()
    if payment is None:
        return False
    error = data.get("last_payment_error") or {}
    _payment_record_failure(
        payment=payment,
        code=error.get("code") or "card_declined",
        decline_code=error.get("decline_code") or "",
        message=error.get("message") or "The payment failed.",
    )
    return True


def _handle_charge_refunded(provider: str, data: dict[str, Any]) -> bool:
    refunds = (data.get("refunds") or {}).get("data") or []
    handled = False
    for refund in refunds:
        refund = {
            **refund,
            "payment_intent": refund.get("payment_intent") or data.get("payment_intent"),
        }
        handled = refund_sync(provider=provider, data=refund) is not None or handled
    return handled


def _handle_refund(provider: str, data: dict[str, Any]) -> bool:
    return refund_sync(provider=provider, data=data) is not None


HANDLERS = {
    "payment_intent.succeeded": _handle_intent_succeeded,
    "payment_intent.payment_failed": _handle_intent_failed,
    "charge.refunded": _handle_charge_refunded,
    "refund.updated": _handle_refund,
    "refund.created": _handle_refund,
    "charge.refund.updated": _handle_refund,
}


def webhook_process(*, event_pk: int) -> WebhookEvent:
    """Apply a stored event once. An event for something unknown is recorded as ignored.

    A handler's failure is recorded on the event (status failed, the error, the attempt)
    and raised again once that is committed, so that the task is retried.
    """
    failure: Exception | None = None
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
            return event
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        data = (event.payload.get("data") or {}).get("object") or {}
        try:
            with transaction.atomic():
                handled = handler(event.provider, data) if handler else False
        except Exception as exc:
            failure = exc
            event.status = WebhookEvent.Status.FAILED
            event.error = f"{type(exc).__name__}: {exc}"[:2000]
            event.save(update_fields=["status", "error", "attempts"])
        else:
            event.status = WebhookEvent.Status.PROCESSED if handled else WebhookEvent.Status.IGNORED
            event.error = ""
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "error", "attempts", "processed_at"])
    if failure is not None:
        raise failure
    return event
