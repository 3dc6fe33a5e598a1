"""Webhooks: verified, stored once under the provider's event id, processed by a worker
exactly once (HANDLERS by event type)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from payments.exceptions import (
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
)
from payments.services.payments import _payment_record_failure, payment_mark_succeeded
from payments.services.refunds import refund_sync

logger = logging.getLogger(__name__)
P = PaymentStatus


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
