"""Webhooks: verified, stored once under the provider's event id, processed by a worker
exactly once (HANDLERS by event type)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import staff_ids_with_permission
from core import metrics
from notifications.models import Kind
from notifications.services import notify
from payments.exceptions import (
    OrderNotPayable,
    PaymentFailed,
    PaymentNotApproved,
    PaymentNotConfirmable,
    PaymentProviderUnavailable,
    WebhookNotConfigured,
    WebhookSignatureInvalid,
)
from payments.models import (
    Payment,
    PaymentStatus,
    WebhookEvent,
)
from payments.providers import get_provider
from payments.providers.base import (
    InvalidSignature,
    ProviderError,
    to_minor_units,
)
from payments.providers.paypal import REFUND_STATUS as PAYPAL_REFUND_STATUS
from payments.providers.paypal import refund_amount
from payments.services.payments import (
    _payment_record_failure,
    payment_confirm,
    payment_mark_processing,
    payment_mark_succeeded,
)
from payments.services.refunds import refund_sync

logger = logging.getLogger(__name__)
P = PaymentStatus


# --- Webhooks --------------------------------------------------------------------------


def webhook_receive(*, provider: str, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify and store an event under its id; a new event is processed by a worker.

    A replay (same id) is answered the same and changes nothing.
    """
    from django.conf import settings

    if (provider == "stripe" and not settings.STRIPE_WEBHOOK_SECRET) or (
        provider == "paypal" and not settings.PAYPAL_WEBHOOK_ID
    ):
        raise WebhookNotConfigured()
    try:
        event = get_provider(provider).parse_webhook(payload=payload, signature=signature)
    except InvalidSignature as exc:
        raise WebhookSignatureInvalid() from exc
    except ProviderError as exc:  # PayPal could not be asked: it sends the event again
        raise PaymentProviderUnavailable() from exc
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


def _payment_of(provider: str, data: dict[str, Any]) -> Payment | None:
    """The payment an event's object is about: a Stripe intent, a PayPal order."""
    if not data.get("id"):
        return None
    return Payment.objects.filter(provider=provider, provider_payment_id=data["id"]).first()


def _handle_intent_succeeded(provider: str, data: dict[str, Any]) -> bool:
    payment = _payment_of(provider, data)
    if payment is None:
        return False
    method = data.get("payment_method") or ""
    payment_mark_succeeded(
        payment=payment, payment_method=method if isinstance(method, str) else ""
    )
    return True


def _handle_intent_failed(provider: str, data: dict[str, Any]) -> bool:
    payment = _payment_of(provider, data)
    if payment is None:
        return False
    error = data.get("last_payment_error") or {}
    _payment_record_failure(
        payment=payment,
        code=error.get("code") or "card_declined",
        decline_code=error.get("decline_code") or "",
        message=error.get("message") or _("The payment failed."),
    )
    return True


def _handle_intent_processing(provider: str, data: dict[str, Any]) -> bool:
    payment = _payment_of(provider, data)
    if payment is None:
        return False
    payment_mark_processing(payment=payment)
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


# --- PayPal's events (their `resource`) ------------------------------------------------


def _paypal_payment(resource: dict[str, Any]) -> Payment | None:
    """The payment of a PayPal capture or refund: by the order it belongs to, or by the
    capture (a refund's "up" link names it)."""
    related = ((resource.get("supplementary_data") or {}).get("related_ids")) or {}
    order_id = related.get("order_id") or ""
    if order_id:
        found = Payment.objects.filter(provider="paypal", provider_payment_id=order_id).first()
        if found is not None:
            return found
    capture_id = related.get("capture_id") or resource.get("id") or ""
    for link in resource.get("links") or []:
        if link.get("rel") == "up" and "/captures/" in str(link.get("href", "")):
            capture_id = str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    if not capture_id:
        return None
    return Payment.objects.filter(provider="paypal", provider_charge_id=capture_id).first()


def _paypal_order_approved(provider: str, data: dict[str, Any]) -> bool:
    """The payer approved in PayPal's window (maybe without coming back): capture now.
    A capture already made answers the same (payments.providers.paypal)."""
    payment = _payment_of(provider, data)
    if payment is None:
        return False
    if not payment.is_confirmable:
        return True  # paid already, or given up for another attempt: nothing to do
    # A decline is recorded on the payment; an order no longer payable, or a payment
    # another attempt replaced meanwhile, takes nothing: handled either way.
    with contextlib.suppress(
        PaymentFailed, PaymentNotApproved, PaymentNotConfirmable, OrderNotPayable
    ):
        payment_confirm(payment=payment, payment_method=None)
    return True


def _paypal_capture_completed(provider: str, data: dict[str, Any]) -> bool:
    payment = _paypal_payment(data)
    if payment is None:
        return False
    if not payment.provider_charge_id and data.get("id"):
        Payment.objects.filter(pk=payment.pk).update(provider_charge_id=data["id"])
    payment_mark_succeeded(payment=payment, payment_method="paypal")
    return True


def _paypal_capture_pending(provider: str, data: dict[str, Any]) -> bool:
    payment = _paypal_payment(data)
    if payment is None:
        return False
    payment_mark_processing(payment=payment)
    return True


def _paypal_capture_denied(provider: str, data: dict[str, Any]) -> bool:
    payment = _paypal_payment(data)
    if payment is None:
        return False
    _payment_record_failure(
        payment=payment,
        code="paypal_declined",
        decline_code=str((data.get("status_details") or {}).get("reason") or "declined").lower(),
        message=_("PayPal declined this payment."),
    )
    return True


def _paypal_capture_refunded(provider: str, data: dict[str, Any]) -> bool:
    payment = _paypal_payment(data)
    if payment is None:
        return False
    refund = {
        "id": data.get("id", ""),
        "status": PAYPAL_REFUND_STATUS.get(data.get("status", ""), "pending"),
        "payment_intent": payment.provider_payment_id,
        "amount": to_minor_units(refund_amount(data), payment.currency),
    }
    return refund_sync(provider=provider, data=refund) is not None


HANDLERS = {
    "payment_intent.succeeded": _handle_intent_succeeded,
    "payment_intent.payment_failed": _handle_intent_failed,
    "payment_intent.processing": _handle_intent_processing,
    "charge.refunded": _handle_charge_refunded,
    "refund.updated": _handle_refund,
    "refund.created": _handle_refund,
    "charge.refund.updated": _handle_refund,
}
PAYPAL_HANDLERS = {
    "CHECKOUT.ORDER.APPROVED": _paypal_order_approved,
    "PAYMENT.CAPTURE.COMPLETED": _paypal_capture_completed,
    "PAYMENT.CAPTURE.PENDING": _paypal_capture_pending,
    "PAYMENT.CAPTURE.DENIED": _paypal_capture_denied,
    "PAYMENT.CAPTURE.DECLINED": _paypal_capture_denied,
    "PAYMENT.CAPTURE.REFUNDED": _paypal_capture_refunded,
}


def _handler_and_object(event: WebhookEvent):
    """The handler of a stored event and the object it is about."""
    if event.provider == "paypal":
        resource = event.payload.get("resource")
        return PAYPAL_HANDLERS.get(event.type), resource if isinstance(resource, dict) else {}
    return HANDLERS.get(event.type), (event.payload.get("data") or {}).get("object") or {}


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
        handler, data = _handler_and_object(event)
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
        metrics.WEBHOOK_FAILURES.inc()
        if event.attempts == 1:  # staff are told once (committed: outside the row lock)
            notify(
                user_ids=staff_ids_with_permission("payments.view_payment"),
                kind=Kind.PAYMENT_PROBLEM,
                # In each reader's language (notifications.services.notify).
                title=lambda: (
                    _("A %(provider)s webhook failed: %(type)s")
                    % {"provider": event.provider, "type": event.type}
                ),
                body=event.error[:300],
                link=f"/admin/payments/webhookevent/{event.pk}/change/",
            )
        raise failure
    return event
