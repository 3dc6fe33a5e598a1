"""The Stripe provider's exact requests and Stripe's exact error answers, through the API.

localstripe cannot decline with a decline_code, fail with a server error, or show the
headers it was sent; here pytest-httpserver answers with Stripe's JSON and the real SDK
makes the requests (fixtures in tests/payments/conftest.py).
"""

import pytest
from django.conf import settings as django_settings

from orders.models import Order
from payments.models import Payment, ProviderCustomer, Refund, SavedPaymentMethod
from payments.providers.stripe_provider import StripeProvider
from tests.payments.conftest import (
    CANNED_INTENT_ID,
    CANNED_METHOD_ID,
    INTENT_PATH,
    canned_paid_payment,
    confirm_payment,
    create_payment,
    expect_create,
    expect_succeeding_confirm,
    intent_json,
    method_json,
    place_order,
    sent,
    stripe_error_json,
)

pytestmark = pytest.mark.django_db


def test_create_sends_minor_units_automatic_methods_and_the_payment_idempotency_key(
    canned_stripe, shopper
):
    _, client = shopper
    expect_create(canned_stripe)
    order = place_order(client, price="24.50", quantity=2)

    payment = create_payment(client, order)

    assert payment["client_secret"] == f"{CANNED_INTENT_ID}_secret_canned"
    ((headers, form),) = sent(canned_stripe, "/v1/payment_intents")
    assert headers["Idempotency-Key"] == f"order-{order['id']}-attempt-1"
    assert headers["Authorization"] == "Bearer sk_test_canned"
    assert form["amount"] == "4900" and form["currency"] == order["currency"].lower()
    # Whatever the account enables (cards, wallets, SEPA, iDEAL...): the Payment Element.
    assert form["automatic_payment_methods[enabled]"] == "true"
    assert "payment_method_types[0]" not in form
    assert form["metadata[order_id]"] == order["id"]
    assert form["metadata[order_number]"] == order["number"]
    canned_stripe.check_assertions()


def test_a_card_declined_for_insufficient_funds_is_402_with_stripes_decline_code(
    canned_stripe, shopper
):
    _, client = shopper
    expect_create(canned_stripe)
    canned_stripe.expect_request(INTENT_PATH, method="POST").respond_with_json(
        intent_json("requires_confirmation", payment_method=CANNED_METHOD_ID)
    )
    canned_stripe.expect_request(f"{INTENT_PATH}/confirm", method="POST").respond_with_json(
        stripe_error_json(
            "card_error",
            "Your card has insufficient funds.",
            code="card_declined",
            decline_code="insufficient_funds",
            doc_url="https://stripe.com/docs/error-codes/card-declined",
            payment_intent=intent_json(),
        ),
        status=402,
    )
    order = place_order(client)
    payment = create_payment(client, order)

    response = confirm_payment(client, payment, CANNED_METHOD_ID)

    assert response.status_code == 402
    assert response.json() == {
        "code": "payment_failed",
        "detail": "Your card has insufficient funds.",
        "decline_code": "insufficient_funds",
    }
    failed = Payment.objects.get(pk=payment["id"])
    assert (failed.status, failed.failure_code, failed.decline_code) == (
        "failed",
        "card_declined",
        "insufficient_funds",
    )
    assert client.get(f"/api/v1/payments/{payment['id']}/").json()["decline_code"] == (
        "insufficient_funds"
    )
    assert Order.objects.get(pk=order["id"]).status == "pending"
    ((_, update),) = sent(canned_stripe, INTENT_PATH)
    assert update == {"payment_method": CANNED_METHOD_ID}
    canned_stripe.check_assertions()


def test_a_stripe_server_error_is_502_after_retries_that_reuse_the_idempotency_key(
    canned_stripe, shopper
):
    _, client = shopper
    canned_stripe.expect_request("/v1/payment_intents", method="POST").respond_with_json(
        stripe_error_json("api_error", "An unknown error occurred on Stripe's side."),
        status=500,
    )
    order = place_order(client)

    response = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error" and response.json()["detail"]
    attempts = sent(canned_stripe, "/v1/payment_intents")
    assert len(attempts) == 1 + StripeProvider.max_network_retries
    assert {headers["Idempotency-Key"] for headers, _ in attempts} == {
        f"order-{order['id']}-attempt-1"
    }
    assert not Payment.objects.exists()
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_a_passing_stripe_error_is_retried_into_one_intent(canned_stripe, shopper):
    _, client = shopper
    canned_stripe.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        stripe_error_json("api_error", "Try again."), status=500
    )
    expect_create(canned_stripe)
    order = place_order(client)

    payment = create_payment(client, order)

    assert Payment.objects.get(pk=payment["id"]).provider_payment_id == CANNED_INTENT_ID
    keys = [headers["Idempotency-Key"] for headers, _ in sent(canned_stripe, "/v1/payment_intents")]
    assert keys == [f"order-{order['id']}-attempt-1"] * 2


def test_stripe_unreachable_is_502(canned_stripe, shopper, settings):
    _, client = shopper
    order = place_order(client)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the discard port: nobody answers

    response = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")

    assert response.status_code == 502 and response.json()["code"] == "payment_provider_error"


def test_an_unknown_payment_method_is_402_not_a_provider_error(canned_stripe, shopper):
    _, client = shopper
    expect_create(canned_stripe)
    canned_stripe.expect_request(INTENT_PATH, method="POST").respond_with_json(
        stripe_error_json(
            "invalid_request_error",
            "No such PaymentMethod: 'pm_nope'",
            code="resource_missing",
            param="payment_method",
        ),
        status=400,
    )
    payment = create_payment(client, place_order(client))

    response = confirm_payment(client, payment, "pm_nope")

    assert response.status_code == 402
    assert response.json()["code"] == "payment_failed"
    assert response.json()["decline_code"] == "invalid_payment_method"
    assert Payment.objects.get(pk=payment["id"]).status == "failed"


def test_refunds_send_stripes_reason_and_one_idempotency_key_each(
    canned_stripe, shopper, staff_client
):
    _, client = shopper
    order, payment = canned_paid_payment(canned_stripe, client)
    canned_stripe.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_first", "object": "refund", "status": "succeeded", "amount": 1000}
    )
    canned_stripe.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_second", "object": "refund", "status": "succeeded", "amount": 3900}
    )

    first = staff_client.post(
        "/api/v1/payments/refund/",
        {"payment_id": payment["id"], "amount": "10.00", "reason": "duplicate"},
        format="json",
    )
    second = staff_client.post(
        "/api/v1/payments/refund/", {"payment_id": payment["id"], "reason": "other"}
    )

    assert first.status_code == 201 and second.status_code == 201, second.json()
    (first_sent, first_form), (second_sent, second_form) = sent(canned_stripe, "/v1/refunds")
    assert first_sent["Idempotency-Key"] == f"refund-{payment['id']}-1-1000"
    assert second_sent["Idempotency-Key"] == f"refund-{payment['id']}-2-3900"
    assert first_form == {
        "payment_intent": CANNED_INTENT_ID,
        "amount": "1000",
        "reason": "duplicate",
        "metadata[reason]": "duplicate",
    }
    # "other" is not one of Stripe's reasons: it travels as metadata only.
    assert second_form == {
        "payment_intent": CANNED_INTENT_ID,
        "amount": "3900",
        "metadata[reason]": "other",
    }
    assert list(Refund.objects.values_list("provider_refund_id", flat=True)) == [
        "re_first",
        "re_second",
    ]
    assert Order.objects.get(pk=order["id"]).status == "refunded"
    canned_stripe.check_assertions()


def test_a_refund_stripe_refuses_is_502_and_nothing_is_recorded(
    canned_stripe, shopper, staff_client
):
    _, client = shopper
    order, payment = canned_paid_payment(canned_stripe, client)
    canned_stripe.expect_request("/v1/refunds", method="POST").respond_with_json(
        stripe_error_json(
            "invalid_request_error",
            "Charge ch_x has already been refunded.",
            code="charge_already_refunded",
        ),
        status=400,
    )

    response = staff_client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]})

    assert response.status_code == 502 and response.json()["code"] == "payment_provider_error"
    assert not Refund.objects.exists()
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_saving_a_card_attaches_it_to_the_customer_before_the_charge(canned_stripe, shopper):
    user, client = shopper
    expect_create(canned_stripe)
    canned_stripe.expect_request("/v1/customers", method="POST").respond_with_json(
        {"id": "cus_canned", "object": "customer", "email": user.email}
    )
    canned_stripe.expect_request(
        f"/v1/payment_methods/{CANNED_METHOD_ID}/attach", method="POST"
    ).respond_with_json(method_json(customer="cus_canned"))
    expect_succeeding_confirm(canned_stripe)
    payment = create_payment(client, place_order(client))

    response = confirm_payment(client, payment, CANNED_METHOD_ID, save_payment_method=True)

    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    ((customer_headers, customer_form),) = sent(canned_stripe, "/v1/customers")
    assert customer_headers["Idempotency-Key"].startswith(f"customer-{user.pk}-")
    assert customer_form == {"email": user.email, "metadata[user_id]": str(user.pk)}
    ((_, attach),) = sent(canned_stripe, f"/v1/payment_methods/{CANNED_METHOD_ID}/attach")
    assert attach == {"customer": "cus_canned"}
    ((_, update),) = sent(canned_stripe, INTENT_PATH)
    assert update == {
        "payment_method": CANNED_METHOD_ID,
        "customer": "cus_canned",
        "setup_future_usage": "off_session",
    }
    # With automatic payment methods a server-side confirmation names where a method
    # that leaves for the bank comes back: the order's "paid" page.
    ((_, confirm),) = sent(canned_stripe, f"{INTENT_PATH}/confirm")
    assert confirm == {
        "return_url": f"{django_settings.SITE_URL}/orders/{payment['order_id']}/paid/"
        f"?payment={payment['id']}"
    }
    assert ProviderCustomer.objects.get(user=user).customer_id == "cus_canned"
    saved = SavedPaymentMethod.objects.get(user=user)
    assert (saved.provider_method_id, saved.brand, saved.last4) == (
        CANNED_METHOD_ID,
        "mastercard",
        "4444",
    )
    assert (saved.exp_month, saved.exp_year) == (3, 2031)
    canned_stripe.check_assertions()
