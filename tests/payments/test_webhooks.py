"""Stripe webhooks with real signatures: the SDK's own verification runs on every request.

Events are made as Stripe makes them (signed with `WebhookSignature.generate_signature_header`)
for payments created through the API with the Stripe provider against localstripe; one test
lets localstripe itself send the signed event to a live server.
"""

import json
import time
import uuid
from decimal import Decimal

import pytest
import stripe
from celery.exceptions import Retry
from django.core import mail

from orders.models import Order, OrderStatusChange
from payments import services
from payments.models import Payment, Refund, WebhookEvent
from tests.payments.conftest import (
    CANNED_INTENT_ID,
    CARD_DECLINED,
    CARD_OK,
    WEBHOOK_SECRET,
    canned_paid_payment,
    confirm_payment,
    create_payment,
    deliver_at_once,
    fake_request,
    place_order,
    post_webhook,
    signed,
)

pytestmark = pytest.mark.django_db


def stripe_event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def paid_mails() -> list:
    return [m for m in mail.outbox if m.subject.startswith("Payment received")]


def paid_changes(order_id) -> int:
    return OrderStatusChange.objects.filter(order_id=order_id, to_status="paid").count()


@pytest.fixture
def paid_in_browser(stripe_fake, shopper):
    """An order whose payment the customer completed at Stripe (Stripe.js with the client
    secret): the shop has not heard of it yet. (order, payment row, intent at Stripe)."""
    _, client = shopper
    order = place_order(client)
    payment = create_payment(client, order)
    stored = Payment.objects.get(pk=payment["id"])
    intent = stripe_fake.pay_in_browser(stored.provider_payment_id, CARD_OK)
    assert intent["status"] == "succeeded"
    assert stored.status == "requires_payment_method"
    return order, stored, intent


def test_a_signed_payment_intent_succeeded_pays_the_order_once(
    paid_in_browser, client, django_capture_on_commit_callbacks
):
    order, payment, intent = paid_in_browser
    event = stripe_event("payment_intent.succeeded", intent)
    payload, signature = signed(event)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, payload, signature)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "id": event["id"]}
    stored = WebhookEvent.objects.get()
    assert (stored.provider, stored.event_id, stored.type) == (
        "stripe",
        event["id"],
        "payment_intent.succeeded",
    )
    assert stored.payload == event
    assert (stored.status, stored.attempts, stored.error) == ("processed", 1, "")
    assert stored.processed_at is not None
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.payment_method == intent["payment_method"]
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert len(paid_mails()) == 1
    assert paid_changes(order["id"]) == 1


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "tampered body", "no header", "garbage header", "too old", "empty header"],
)
def test_a_bad_or_missing_signature_is_400_and_nothing_is_stored(
    how, paid_in_browser, client, django_capture_on_commit_callbacks
):
    order, payment, intent = paid_in_browser
    event = stripe_event("payment_intent.succeeded", intent)
    payload, signature = signed(event)
    if how == "wrong secret":
        payload, signature = signed(event, secret="whsec_someone_else")
    elif how == "tampered body":
        payload = payload.replace('"livemode": false', '"livemode": true')
    elif how == "no header":
        signature = None
    elif how == "garbage header":
        signature = "not a signature"
    elif how == "too old":
        signature = stripe.WebhookSignature.generate_signature_header(
            payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 600
        )
    elif how == "empty header":
        signature = ""

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_webhook(client, payload, signature)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert set(response.json()) == {"code", "detail"} and response.json()["detail"]
    assert not WebhookEvent.objects.exists() and callbacks == []
    payment.refresh_from_db()
    assert payment.status == "requires_payment_method"
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_a_signed_body_that_is_not_an_event_is_400(stripe_fake, client):
    payload = json.dumps({"object": "event", "data": {}})  # no id, no type
    signature = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    response = post_webhook(client, payload, signature)
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


def test_without_a_webhook_secret_it_is_503_not_configured(paid_in_browser, client, settings):
    _, _, intent = paid_in_browser
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload, signature = signed(stripe_event("payment_intent.succeeded", intent))

    response = post_webhook(client, payload, signature)

    assert response.status_code == 503
    assert response.json()["code"] == "not_configured" and response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_only_post_is_allowed(stripe_fake, client):
    response = client.get("/webhooks/stripe/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


def test_the_same_event_replayed_ten_times_changes_things_once(
    paid_in_browser, client, django_capture_on_commit_callbacks
):
    order, _, intent = paid_in_browser
    event = stripe_event("payment_intent.succeeded", intent)
    payload, signature = signed(event)

    answers = []
    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(post_webhook(client, payload, signature))

    assert [answer.status_code for answer in answers] == [200] * 10
    assert [answer.json()["duplicate"] for answer in answers] == [False] + [True] * 9
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("processed", 1)
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert len(paid_mails()) == 1
    assert paid_changes(order["id"]) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_event_from_ten_threads_at_once_changes_things_once(paid_in_browser):
    order, payment, intent = paid_in_browser
    event = stripe_event("payment_intent.succeeded", intent)
    payload, signature = signed(event)

    answers = deliver_at_once(lambda client: post_webhook(client, payload, signature))

    assert answers == [(200, False)] + [(200, True)] * 9
    stored = WebhookEvent.objects.get()
    assert stored.status == "processed"
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert len(paid_mails()) == 1
    assert paid_changes(order["id"]) == 1


def test_payment_failed_marks_the_payment_failed_and_the_order_stays_pending(
    stripe_fake, shopper, client, django_capture_on_commit_callbacks
):
    _, api = shopper
    order = place_order(api)
    payment = Payment.objects.get(pk=create_payment(api, order)["id"])
    intent = stripe_fake.pay_in_browser(payment.provider_payment_id, CARD_DECLINED)
    assert intent["status"] == "requires_payment_method"
    # Stripe adds a decline_code to a declined card's error; localstripe does not.
    intent["last_payment_error"]["decline_code"] = "generic_decline"
    payload, signature = signed(stripe_event("payment_intent.payment_failed", intent))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, payload, signature)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "processed"
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code, payment.decline_code) == (
        "failed",
        "card_declined",
        "generic_decline",
    )
    assert payment.failure_message == "Your card was declined."
    assert Order.objects.get(pk=order["id"]).status == "pending"
    assert paid_mails() == []
    # The customer may try again with a new payment.
    assert api.post("/api/v1/payments/create/", {"order_id": order["id"]}).status_code == 201


def test_a_late_payment_failed_does_not_undo_a_success(
    paid_in_browser, client, django_capture_on_commit_callbacks
):
    order, payment, intent = paid_in_browser
    succeeded = signed(stripe_event("payment_intent.succeeded", intent))
    failed = signed(
        stripe_event(
            "payment_intent.payment_failed",
            {**intent, "last_payment_error": {"code": "card_declined", "message": "Declined."}},
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, *succeeded).status_code == 200
        assert post_webhook(client, *failed).status_code == 200

    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.failure_code == ""
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_refunds_made_at_stripe_are_recorded_once_and_the_order_refunded_when_whole(
    stripe_fake, shopper, staff_client, client, django_capture_on_commit_callbacks
):
    _, api = shopper
    order = place_order(api, price="24.50", quantity=2)
    created = create_payment(api, order)
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm_payment(api, created, stripe_fake.card(CARD_OK)).status_code == 200
    payment = Payment.objects.get(pk=created["id"])
    intent_id = payment.provider_payment_id

    def deliver(event_type, obj):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(client, *signed(stripe_event(event_type, obj)))
        assert response.status_code == 200
        return WebhookEvent.objects.get(event_id=response.json()["id"])

    def charge():
        charge_id = stripe_fake.intent(intent_id)["latest_charge"]["id"]
        return stripe_fake.api.charges.retrieve(charge_id).to_dict()

    # A refund made in Stripe's dashboard: charge.refunded, then refund.updated.
    at_stripe = stripe_fake.api.refunds.create(
        params={"payment_intent": intent_id, "amount": 1000}
    ).to_dict()
    assert deliver("charge.refunded", charge()).status == "processed"
    assert deliver("refund.updated", at_stripe).status == "processed"
    assert deliver("charge.refunded", charge()).status == "processed"  # another delivery

    (recorded,) = Refund.objects.all()
    assert (recorded.provider_refund_id, recorded.amount, recorded.status, recorded.reason) == (
        at_stripe["id"],
        Decimal("10.00"),
        "succeeded",
        "other",
    )
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("10.00")
    assert Order.objects.get(pk=order["id"]).status == "paid"

    # A refund made by staff through the API: its webhook counts nothing twice.
    ours = staff_client.post(
        "/api/v1/payments/refund/", {"payment_id": str(payment.pk), "amount": "9.00"}
    )
    assert ours.status_code == 201
    ours_at_stripe = next(
        refund for refund in stripe_fake.refunds_of(intent_id) if refund["amount"] == 900
    )
    assert deliver("refund.updated", ours_at_stripe).status == "processed"
    assert deliver("charge.refunded", charge()).status == "processed"
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("19.00") and Refund.objects.count() == 2

    # The rest, at Stripe: the order is refunded once, when the whole amount is back.
    rest = stripe_fake.api.refunds.create(params={"payment_intent": intent_id}).to_dict()
    assert rest["amount"] == 4900  # localstripe refunds the charge's amount, not the rest
    rest = {**rest, "amount": 3000}  # what Stripe would report
    assert deliver("refund.updated", rest).status == "processed"
    assert deliver("refund.updated", rest).status == "processed"

    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("49.00") and Refund.objects.count() == 3
    refunded = Order.objects.get(pk=order["id"])
    assert refunded.status == "refunded" and refunded.refunded_total == Decimal("49.00")
    assert OrderStatusChange.objects.filter(order=refunded, to_status="refunded").count() == 1


def test_a_pending_refund_is_counted_when_stripe_reports_it_succeeded(
    canned_stripe, shopper, staff_client, client, django_capture_on_commit_callbacks
):
    _, api = shopper
    order, payment = canned_paid_payment(canned_stripe, api)
    canned_stripe.expect_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_slow", "object": "refund", "status": "pending", "amount": 4900}
    )
    answer = staff_client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]})
    assert answer.status_code == 201 and answer.json()["status"] == "pending"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    # While it is pending, nothing more may be refunded.
    more = staff_client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]})
    assert more.status_code == 400 and "amount" in more.json()["fields"]

    refund = {
        "id": "re_slow",
        "object": "refund",
        "amount": 4900,
        "currency": "usd",
        "payment_intent": CANNED_INTENT_ID,
        "status": "succeeded",
    }
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(client, *signed(stripe_event("refund.updated", refund)))
        assert response.status_code == 200

    assert Refund.objects.get().status == "succeeded"
    assert Payment.objects.get(pk=payment["id"]).refunded_amount == Decimal("49.00")
    assert Order.objects.get(pk=order["id"]).status == "refunded"


def test_an_event_for_an_unknown_payment_is_stored_and_ignored_once(
    stripe_fake, client, django_capture_on_commit_callbacks
):
    intent = {"id": "pi_not_ours", "object": "payment_intent", "status": "succeeded"}
    payload, signature = signed(stripe_event("payment_intent.succeeded", intent))

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post_webhook(client, payload, signature)
        assert response.status_code == 200

    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts, stored.error) == ("ignored", 1, "")
    assert len(callbacks) == 0  # a replay of a settled event queues nothing


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("customer.created", {"id": "cus_x", "object": "customer"}),
        ("refund.updated", {"object": "refund", "status": "succeeded"}),  # no id
        ("charge.refunded", {"id": "ch_x", "object": "charge", "refunds": None}),
    ],
)
def test_events_the_shop_does_not_act_on_are_ignored(
    event_type, obj, stripe_fake, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, *signed(stripe_event(event_type, obj)))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "ignored"
    assert not Refund.objects.exists()


def test_a_processing_failure_is_recorded_and_a_later_delivery_applies_the_event(
    paid_in_browser, client, monkeypatch, django_capture_on_commit_callbacks
):
    order, payment, intent = paid_in_browser
    payload, signature = signed(stripe_event("payment_intent.succeeded", intent))

    def broken_handler(provider, data):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(services.HANDLERS, "payment_intent.succeeded", broken_handler)
    # Celery runs eagerly here: the task asks to be retried, and that comes out of the
    # on_commit callback (a worker would retry it later, with backoff).
    with (
        pytest.raises(Retry, match="the database went away"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_webhook(client, payload, signature)
    assert response.status_code == 200

    stored = WebhookEvent.objects.get()
    assert stored.status == "failed"
    assert stored.error == "RuntimeError: the database went away"
    assert stored.attempts == 1 and stored.processed_at is None
    payment.refresh_from_db()
    assert payment.status == "requires_payment_method"
    assert Order.objects.get(pk=order["id"]).status == "pending"

    # Fixed; Stripe delivers the event again (it retries, or someone resends it).
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        again = post_webhook(client, payload, signature)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    stored.refresh_from_db()
    assert (stored.status, stored.error, stored.attempts) == ("processed", "", 2)
    assert stored.processed_at is not None
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert len(paid_mails()) == 1


def test_a_failed_event_processed_again_by_the_service_succeeds(paid_in_browser, monkeypatch):
    order, _, intent = paid_in_browser
    event = WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_retry",
        type="payment_intent.succeeded",
        payload=stripe_event("payment_intent.succeeded", intent, "evt_retry"),
    )
    monkeypatch.setitem(
        services.HANDLERS,
        "payment_intent.succeeded",
        lambda provider, data: 1 / 0,
    )
    with pytest.raises(ZeroDivisionError):
        services.webhook_process(event_pk=event.pk)
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 1)
    assert event.error.startswith("ZeroDivisionError")

    monkeypatch.undo()
    assert services.webhook_process(event_pk=event.pk).status == "processed"
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == ("processed", 2, "")
    assert Order.objects.get(pk=order["id"]).status == "paid"


# --- localstripe sends the webhook itself -----------------------------------------------


@pytest.fixture
def webhooks_to_live_server(stripe_fake, live_server):
    """localstripe posts its signed events to the live server's webhook address; after
    the test, to nowhere (the registration outlives the data reset)."""
    stripe_fake.send_webhooks_to(f"{live_server.url}/webhooks/stripe/", WEBHOOK_SECRET)
    yield
    status, _ = fake_request(
        stripe_fake.url,
        "POST",
        "/_config/webhooks/shop",
        {"url": "http://127.0.0.1:9/", "secret": "whsec_nobody"},
    )
    assert status == 200


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_a_signed_payment_intent_succeeded_to_the_live_server(
    stripe_fake, shopper, webhooks_to_live_server, wait_for
):
    _, api = shopper
    order = place_order(api)
    payment = Payment.objects.get(pk=create_payment(api, order)["id"])

    # The customer pays at Stripe (Stripe.js); the shop hears of it only by webhook.
    intent = stripe_fake.pay_in_browser(payment.provider_payment_id, CARD_OK)
    assert intent["status"] == "succeeded"

    event = wait_for(
        lambda: WebhookEvent.objects.filter(
            type="payment_intent.succeeded", status="processed"
        ).first(),
        timeout=15,
        message="localstripe's payment_intent.succeeded to be stored and applied",
    )
    assert event.payload["data"]["object"]["id"] == payment.provider_payment_id
    assert event.event_id.startswith("evt_")
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    # The mail goes out once the worker's transaction has committed, a moment after the
    # event reads as processed here.
    wait_for(lambda: paid_mails(), timeout=10, message="the payment mail")
    assert len(paid_mails()) == 1
