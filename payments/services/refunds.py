"""Refunds: of a payment (staff, or the system when an order is cancelled), of a whole
order, and as the provider reports them."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import metrics
from core.errors import ApplicationError, DomainValidationError, NotPermitted
from orders.services import order_record_refund, order_require_unsent
from payments.exceptions import (
    PaymentNotRefundable,
    PaymentProviderUnavailable,
)
from payments.models import (
    OPEN_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from payments.policies import may_refund
from payments.providers import get_provider
from payments.providers.base import (
    ProviderError,
    from_minor_units,
    to_minor_units,
)
from payments.services.payments import _provider_answers

logger = logging.getLogger(__name__)
P = PaymentStatus


# --- Refunds ---------------------------------------------------------------------------


def _paid_by_another(payment: Payment) -> bool:
    return (
        Payment.objects.filter(order_id=payment.order_id, status=P.SUCCEEDED)
        .exclude(pk=payment.pk)
        .exists()
    )


def _apply_refund(*, refund: Refund) -> None:
    """Count a succeeded refund on its payment and order (called once per refund)."""
    metrics.counted_after_commit(metrics.REFUNDS)
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    payment.refunded_amount = min(payment.amount, payment.refunded_amount + refund.amount)
    payment.save(update_fields=["refunded_amount", "updated_at"])
    if refund.reason == RefundReason.DUPLICATE and _paid_by_another(payment):
        # Money taken twice for one order (an attempt given up for another that paid):
        # giving the second back changes nothing of the order's own figures.
        return
    order_record_refund(
        order=payment.order,
        amount=refund.amount,
        # Written in the buyer's language (orders.services).
        note=lambda: (
            _("Refund of %(amount)s %(currency)s")
            % {"amount": refund.amount, "currency": refund.currency.upper()}
        ),
        ref=f"refund:{refund.pk}",
        shop_id=refund.shop_id,
    )


@transaction.atomic
def payment_refund(
    *,
    payment: Payment,
    amount: Decimal | None = None,
    reason: str = RefundReason.REQUESTED_BY_CUSTOMER,
    by: User | None = None,
    shop_id: int | None = None,
) -> Refund:
    """Give back all or part of a succeeded payment; refunds add up to at most the amount.
    `by`: the staff member asking (payments.policies.may_refund), None for the system;
    `shop_id`: the shop whose goods came back (a return), which credits it alone."""
    if by is not None and not may_refund(by):
        raise NotPermitted(_("You do not have permission to refund payments."))
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
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(RefundReason.values)}
        raise DomainValidationError(message, fields={"reason": [message]})
    if amount <= 0 or amount > remaining:
        message = (
            _("At most %(amount)s %(currency)s remains to refund.")
            % {"amount": f"{remaining:.2f}", "currency": payment.currency}
            if remaining > 0
            else _("Nothing remains to refund on this payment.")
        )
        raise DomainValidationError(message, fields={"amount": [message]})
    number = payment.refunds.count() + 1
    minor_amount = to_minor_units(amount, payment.currency)
    with _provider_answers():
        answer = get_provider(payment.provider).refund(
            intent_id=payment.provider_payment_id,
            charge_id=payment.provider_charge_id,
            currency=payment.currency,
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
        shop_id=shop_id,
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
        raise NotPermitted(_("You do not have permission to refund payments."))
    # Sent goods come back through a return; a part of a payment may still be given.
    order_require_unsent(order_id=order_id)
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
