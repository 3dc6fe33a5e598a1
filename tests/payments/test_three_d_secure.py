"""3-D Secure and payments that settle later (issue 20), with the real stripe SDK
against localstripe: a card that needs authentication answers `requires_action` with
the client secret the app runs the challenge with; a challenge passed pays the order
(Stripe's webhook), a challenge failed leaves it payable again. A payment Stripe
reports as processing (a SEPA debit) keeps the order's stock until it settles.

What localstripe covers: its 3-D Secure test cards (4000002760003184) and its
`_authenticate` endpoint, which stands for the bank's challenge page that Stripe.js
would show; the challenge page itself is Stripe's and is not run here."""

import http.client
import urllib.parse
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from orders.services import orders_expire_reservations
from payments.models import Payment
from tests.payments.conftest import (
    SECRET_KEY,
    create_payment,
    place_order,
    post_webhook,
    signed,
)
from tests.payments.test_webhooks import stripe_event

pytestmark = pytest.mark.django_db

CARD_3DS = "4000002760003184"  # Stripe's test card that always asks for authentication


def challenge(stripe_fake, payment: Payment, *, passed: bool) -> dict:
    """The shopper answers their bank's challenge (what Stripe.js's page does)."""
    parsed = urllib.parse.urlsplit(stripe_fake.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    form = {"client_secret": payment.client_secret, "success": "true" if passed else "false"}
    try:
        connection.request(
            "POST",
            f"/v1/payment_intents/{payment.provider_payment_id}/_authenticate",
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"Bearer {SECRET_KEY}",
            },
        )
        response = connection.getresponse()
        assert response.status == 200, response.read()
    finally:
        connection.close()
    return stripe_fake.intent(payment.provider_payment_id)


@pytest.fixture
def needs_authentication(stripe_fake, shopper):
    """An order whose card asked for 3-D Secure when confirmed over the API."""
    _user, api = shopper
    order = place_order(api)
    payment = create_payment(api, order)
    answer = api.post(
        "/api/v1/payments/confirm/",
        {"payment_id": payment["id"], "payment_method": stripe_fake.card(CARD_3DS)},
        format="json",
    )
    return api, order, answer


def test_a_card_that_needs_authentication_hands_the_app_its_challenge(needs_authentication):
    _api, order, answer = needs_authentication

    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "requires_action"
    assert answer.json()["client_secret"]  # the app runs the challenge with it
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_a_challenge_passed_pays_the_order(
    needs_authentication, stripe_fake, client, django_capture_on_commit_callbacks
):
    _api, order, answer = needs_authentication
    payment = Payment.objects.get(pk=answer.json()["id"])

    intent = challenge(stripe_fake, payment, passed=True)
    assert intent["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, *signed(stripe_event("payment_intent.succeeded", intent)))

    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_a_challenge_failed_leaves_the_order_payable_again(
    needs_authentication, stripe_fake, client, django_capture_on_commit_callbacks
):
    api, order, answer = needs_authentication
    payment = Payment.objects.get(pk=answer.json()["id"])

    intent = challenge(stripe_fake, payment, passed=False)
    assert intent["status"] == "requires_payment_method"
    intent["last_payment_error"] = {
        "code": "payment_intent_authentication_failure",
        "message": "We are unable to authenticate your payment method.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, *signed(stripe_event("payment_intent.payment_failed", intent)))

    failed = Payment.objects.get(pk=payment.pk)
    assert failed.status == "failed"
    assert failed.failure_code == "payment_intent_authentication_failure"
    assert Order.objects.get(pk=order["id"]).status == "pending"
    again = api.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert again.status_code == 201  # a new attempt


def test_a_payment_settling_later_holds_the_stock_until_it_does(
    stripe_fake, shopper, client, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENT_PROCESSING_HOLD_DAYS = 14
    _user, api = shopper
    order = place_order(api)
    payment = Payment.objects.get(pk=create_payment(api, order)["id"])
    intent = {**stripe_fake.intent(payment.provider_payment_id), "status": "processing"}

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, *signed(stripe_event("payment_intent.processing", intent)))

    held = Order.objects.get(pk=order["id"])
    assert Payment.objects.get(pk=payment.pk).status == "processing"
    assert held.reserved_until > timezone.now() + timedelta(days=13)
    # The minute task that cancels unpaid orders leaves it alone meanwhile.
    assert orders_expire_reservations(now=timezone.now() + timedelta(days=2)) == 0
    assert Order.objects.get(pk=order["id"]).status == "pending"

    # The debit bounces: the long hold ends, the usual time to pay again starts.
    intent["status"] = "requires_payment_method"
    intent["last_payment_error"] = {"code": "payment_method_provider_decline", "message": "No."}
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, *signed(stripe_event("payment_intent.payment_failed", intent)))
    shortened = Order.objects.get(pk=order["id"])
    assert shortened.reserved_until < timezone.now() + timedelta(hours=1)
    assert Payment.objects.get(pk=payment.pk).status == "failed"


def test_the_paid_page_explains_a_payment_on_its_way(
    stripe_fake, shopper, client, django_capture_on_commit_callbacks
):
    user, api = shopper
    order = place_order(api)
    payment = Payment.objects.get(pk=create_payment(api, order)["id"])
    intent = {**stripe_fake.intent(payment.provider_payment_id), "status": "processing"}
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, *signed(stripe_event("payment_intent.processing", intent)))

    client.force_login(user)
    page = client.get(f"/orders/{order['id']}/paid/?payment={payment.pk}").content.decode()

    assert "is on its way: a bank debit or transfer can take a few working days" in page
