"""Stripe webhooks are applied by a real Celery worker, reached through the Redis broker.

The webhook view only verifies and stores the event; the task queued after commit runs in
the worker (a thread of this process with its own database connection).
"""

import threading
import time
import uuid

import pytest
from celery import signals
from django.core import mail
from django.test import Client

from orders.models import Order
from payments import services
from payments.models import Payment, WebhookEvent
from tests.payments.conftest import CARD_OK, create_payment, place_order, post_webhook, signed

pytestmark = pytest.mark.django_db(transaction=True)


def succeeded_event(intent: dict) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": intent},
    }


@pytest.fixture
def webhook_task_runs():
    """Where each process_webhook_event run happened: (thread name, eager?)."""
    runs: list[tuple[str, bool]] = []

    def record(sender=None, **kwargs):
        if sender is not None and sender.name == "payments.tasks.process_webhook_event":
            runs.append((threading.current_thread().name, bool(sender.request.is_eager)))

    signals.task_postrun.connect(record, weak=False)
    yield runs
    signals.task_postrun.disconnect(record)


@pytest.fixture
def paid_at_stripe(stripe_fake, shopper):
    """An order paid at Stripe (in the browser) that the shop has not heard of yet."""
    _, api = shopper
    order = place_order(api)
    payment = Payment.objects.get(pk=create_payment(api, order)["id"])
    intent = stripe_fake.pay_in_browser(payment.provider_payment_id, CARD_OK)
    assert intent["status"] == "succeeded"
    return order, payment, intent


def test_the_worker_applies_a_signed_event(
    celery_worker, wait_for, webhook_task_runs, paid_at_stripe
):
    order, payment, intent = paid_at_stripe
    event = succeeded_event(intent)

    response = post_webhook(Client(), *signed(event))

    assert response.status_code == 200 and response.json()["duplicate"] is False
    stored = wait_for(
        lambda: WebhookEvent.objects.filter(event_id=event["id"], status="processed").first(),
        message="the worker to process the event",
    )
    assert stored.attempts == 1
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    wait_for(lambda: webhook_task_runs, message="the task to finish")
    assert all(
        thread != threading.main_thread().name and not eager for thread, eager in webhook_task_runs
    )
    # The "payment received" mail is a task of its own, sent by the worker too.
    wait_for(
        lambda: any(m.subject.startswith("Payment received") for m in mail.outbox),
        message="the worker to send the payment mail",
    )
    assert sum(m.subject.startswith("Payment received") for m in mail.outbox) == 1


def test_the_worker_retries_an_event_whose_processing_failed(
    celery_worker, wait_for, paid_at_stripe, monkeypatch
):
    order, _, intent = paid_at_stripe
    event = succeeded_event(intent)
    real_handler = services.HANDLERS["payment_intent.succeeded"]
    calls = []

    def fails_once(provider, data):
        calls.append(data["id"])
        if len(calls) == 1:
            raise ConnectionError("the provider's answer was lost")
        return real_handler(provider, data)

    monkeypatch.setitem(services.HANDLERS, "payment_intent.succeeded", fails_once)

    assert post_webhook(Client(), *signed(event)).status_code == 200

    stored = wait_for(
        lambda: WebhookEvent.objects.filter(event_id=event["id"], status="processed").first(),
        message="the worker to retry and process the event",
    )
    assert stored.attempts == 2 and stored.error == ""
    assert calls == [intent["id"], intent["id"]]
    assert Order.objects.get(pk=order["id"]).status == "paid"
