"""Paying, refunding and saving cards through the API, with the Stripe provider: the real
stripe SDK talks to localstripe over HTTP (tests/payments/conftest.py)."""

from decimal import Decimal

import pytest
from django.core import mail

from orders.models import Order
from payments.models import Payment, ProviderCustomer, SavedPaymentMethod
from tests.payments.conftest import (
    CARD_DECLINED,
    CARD_OK,
    confirm_payment,
    create_payment,
    place_order,
)

pytestmark = pytest.mark.django_db


def paid_mails() -> list:
    return [m for m in mail.outbox if m.subject.startswith("Payment received")]


def pay(client, order, stripe_fake, capture, **extra) -> dict:
    payment = create_payment(client, order)
    with capture(execute=True):
        response = confirm_payment(client, payment, stripe_fake.card(CARD_OK), **extra)
    assert response.status_code == 200, response.json()
    return response.json()


def test_create_makes_an_intent_for_the_total_and_a_second_create_answers_the_same(
    stripe_fake, shopper
):
    _, client = shopper
    order = place_order(client, price="24.50", quantity=2)
    assert order["total"] == "49.00"

    first = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert first.status_code == 201, first.json()
    payment = first.json()
    assert payment["provider"] == "stripe"
    assert payment["status"] == "requires_payment_method"
    assert payment["amount"] == "49.00" and payment["currency"] == order["currency"]
    stored = Payment.objects.get(pk=payment["id"])
    assert stored.provider_payment_id.startswith("pi_")
    assert payment["client_secret"].startswith(f"{stored.provider_payment_id}_secret_")

    at_stripe = stripe_fake.intent(stored.provider_payment_id)
    assert at_stripe["amount"] == 4900  # minor units, converted at the edge
    assert at_stripe["currency"] == order["currency"].lower()
    assert at_stripe["metadata"] == {"order_id": order["id"], "order_number": order["number"]}

    again = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == payment["id"]
    assert again.json()["client_secret"] == payment["client_secret"]
    assert Payment.objects.filter(order_id=order["id"]).count() == 1


def test_a_good_card_pays_the_order_once(stripe_fake, shopper, django_capture_on_commit_callbacks):
    user, client = shopper
    order = place_order(client)
    payment = create_payment(client, order)

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm_payment(client, payment, stripe_fake.card(CARD_OK))

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "succeeded"
    stored = Payment.objects.get(pk=payment["id"])
    assert stored.payment_method.startswith("pm_") and stored.succeeded_at is not None
    assert stripe_fake.intent(stored.provider_payment_id)["status"] == "succeeded"
    placed = Order.objects.get(pk=order["id"])
    assert placed.status == "paid" and placed.reserved_until is None
    assert [change.to_status for change in placed.status_history.all()] == ["pending", "paid"]
    assert len(paid_mails()) == 1 and paid_mails()[0].to == [user.email]

    # Confirming again changes nothing, at the shop or at Stripe.
    with django_capture_on_commit_callbacks(execute=True):
        again = confirm_payment(client, payment, stripe_fake.card(CARD_OK))
    assert again.status_code == 200 and again.json()["status"] == "succeeded"
    assert len(paid_mails()) == 1
    assert placed.status_history.filter(to_status="paid").count() == 1


@pytest.mark.parametrize("save", [False, True])
def test_stripes_test_card_token_pays_as_in_test_mode(
    save, stripe_fake, shopper, django_capture_on_commit_callbacks
):
    user, client = shopper
    order = place_order(client)
    payment = create_payment(client, order)

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm_payment(client, payment, "pm_card_visa", save_payment_method=save)

    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    if save:  # the token became a card of its own, attached, paid with, and saved
        customer_id = ProviderCustomer.objects.get(user=user).customer_id
        (attached,) = stripe_fake.api.payment_methods.list(
            params={"customer": customer_id, "type": "card"}
        ).data
        intent = stripe_fake.intent(Payment.objects.get(pk=payment["id"]).provider_payment_id)
        assert intent["payment_method"] == attached.id != "pm_card_visa"
        saved = SavedPaymentMethod.objects.get(user=user)
        assert (saved.provider_method_id, saved.last4) == (attached.id, "4242")


def test_a_declined_card_is_402_the_order_stays_pending_and_a_new_payment_may_follow(
    stripe_fake, shopper, django_capture_on_commit_callbacks
):
    _, client = shopper
    order = place_order(client)
    payment = create_payment(client, order)

    response = confirm_payment(client, payment, stripe_fake.card(CARD_DECLINED))

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "payment_failed" and body["detail"]
    # localstripe declines with code card_declined and no decline_code (Stripe itself
    # sends one): the answer still names a reason.
    assert body["decline_code"] == "card_declined"
    failed = Payment.objects.get(pk=payment["id"])
    assert failed.status == "failed" and failed.failure_code == "card_declined"
    assert failed.failure_message == "Your card was declined."
    assert Order.objects.get(pk=order["id"]).status == "pending"
    assert client.get(f"/api/v1/payments/{payment['id']}/").json()["status"] == "failed"

    retry = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert retry.status_code == 201 and retry.json()["id"] != payment["id"]
    second = Payment.objects.get(pk=retry.json()["id"])
    assert second.provider_payment_id != failed.provider_payment_id
    with django_capture_on_commit_callbacks(execute=True):
        paid = confirm_payment(client, retry.json(), stripe_fake.card(CARD_OK))
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert len(paid_mails()) == 1


def test_staff_refund_part_then_the_rest(
    stripe_fake, shopper, staff_client, django_capture_on_commit_callbacks
):
    _, client = shopper
    order = place_order(client, price="24.50", quantity=2)
    payment = pay(client, order, stripe_fake, django_capture_on_commit_callbacks)
    intent_id = Payment.objects.get(pk=payment["id"]).provider_payment_id

    part = staff_client.post(
        "/api/v1/payments/refund/",
        {"payment_id": payment["id"], "amount": "10.00", "reason": "requested_by_customer"},
        format="json",
    )
    assert part.status_code == 201, part.json()
    assert part.json()["amount"] == "10.00" and part.json()["status"] == "succeeded"
    assert part.json()["payment_id"] == payment["id"]
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Order.objects.get(pk=order["id"]).refunded_total == Decimal("10.00")

    rest = staff_client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]})
    assert rest.status_code == 201, rest.json()
    assert rest.json()["amount"] == "39.00"

    assert sorted(refund["amount"] for refund in stripe_fake.refunds_of(intent_id)) == [
        1000,
        3900,
    ]
    refunded = Order.objects.get(pk=order["id"])
    assert refunded.status == "refunded" and refunded.refunded_total == Decimal("49.00")
    history = client.get(f"/api/v1/payments/{payment['id']}/").json()
    assert history["refunded_amount"] == "49.00"
    assert [refund["amount"] for refund in history["refunds"]] == ["10.00", "39.00"]

    third = staff_client.post(
        "/api/v1/payments/refund/", {"payment_id": payment["id"], "amount": "1.00"}
    )
    assert third.status_code == 400
    assert third.json()["code"] == "validation_error" and "amount" in third.json()["fields"]
    assert len(stripe_fake.refunds_of(intent_id)) == 2


def test_a_payment_that_has_not_succeeded_is_not_refundable(stripe_fake, shopper, staff_client):
    _, client = shopper
    payment = create_payment(client, place_order(client))
    response = staff_client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]})
    assert response.status_code == 409
    assert response.json()["code"] == "payment_not_refundable"

    declined = confirm_payment(client, payment, stripe_fake.card(CARD_DECLINED))
    assert declined.status_code == 402
    response = staff_client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]})
    assert response.status_code == 409
    assert response.json()["code"] == "payment_not_refundable"


def test_a_card_saved_on_confirm_is_kept_at_stripe_listed_and_detached_on_delete(
    stripe_fake, shopper, django_capture_on_commit_callbacks
):
    user, client = shopper
    order = place_order(client)
    payment = pay(
        client, order, stripe_fake, django_capture_on_commit_callbacks, save_payment_method=True
    )
    assert payment["status"] == "succeeded"

    customer_id = ProviderCustomer.objects.get(user=user, provider="stripe").customer_id
    customer = stripe_fake.api.customers.retrieve(customer_id).to_dict()
    assert customer["email"] == user.email
    assert customer["metadata"] == {"user_id": str(user.pk)}
    intent = stripe_fake.intent(Payment.objects.get(pk=payment["id"]).provider_payment_id)
    assert intent["customer"] == customer_id
    at_stripe = stripe_fake.api.payment_methods.list(
        params={"customer": customer_id, "type": "card"}
    ).data
    assert [method.id for method in at_stripe] == [intent["payment_method"]]

    listed = client.get("/api/v1/payments/methods/")
    assert listed.status_code == 200
    (card,) = listed.json()["results"]
    assert card["provider"] == "stripe" and card["brand"] == "visa" and card["last4"] == "4242"
    assert card["exp_month"] == 12 and card["exp_year"] == 2034

    deleted = client.delete(f"/api/v1/payments/methods/{card['id']}/")
    assert deleted.status_code == 204
    assert not SavedPaymentMethod.objects.filter(user=user).exists()
    detached = stripe_fake.api.payment_methods.retrieve(intent["payment_method"]).to_dict()
    assert detached["customer"] is None
    assert (
        stripe_fake.api.payment_methods.list(params={"customer": customer_id, "type": "card"}).data
        == []
    )

    # A second order reuses the customer.
    second = pay(
        client,
        place_order(client),
        stripe_fake,
        django_capture_on_commit_callbacks,
        save_payment_method=True,
    )
    assert ProviderCustomer.objects.filter(user=user).count() == 1
    second_intent = stripe_fake.intent(Payment.objects.get(pk=second["id"]).provider_payment_id)
    assert second_intent["customer"] == customer_id


def test_a_declined_card_is_not_saved(stripe_fake, shopper):
    _, client = shopper
    payment = create_payment(client, place_order(client))
    method = stripe_fake.card(CARD_DECLINED)

    response = confirm_payment(client, payment, method, save_payment_method=True)

    assert response.status_code == 402
    assert client.get("/api/v1/payments/methods/").json()["results"] == []
    assert stripe_fake.api.payment_methods.retrieve(method).to_dict()["customer"] is None


def test_cancelling_a_paid_order_refunds_it_in_full(
    stripe_fake, shopper, django_capture_on_commit_callbacks
):
    _, client = shopper
    order = place_order(client, price="24.50", quantity=2)
    payment = pay(client, order, stripe_fake, django_capture_on_commit_callbacks)
    intent_id = Payment.objects.get(pk=payment["id"]).provider_payment_id

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/orders/{order['id']}/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    (refund,) = stripe_fake.refunds_of(intent_id)
    assert refund["amount"] == 4900 and refund["metadata"] == {"reason": "order_cancelled"}
    refunded = Payment.objects.get(pk=payment["id"])
    assert refunded.refunded_amount == Decimal("49.00")
    assert [(r.reason, r.status) for r in refunded.refunds.all()] == [
        ("order_cancelled", "succeeded")
    ]
    cancelled = Order.objects.get(pk=order["id"])
    assert cancelled.status == "cancelled" and cancelled.refunded_total == Decimal("49.00")


def test_cancelling_an_unpaid_order_cancels_its_intent(
    stripe_fake, shopper, django_capture_on_commit_callbacks
):
    _, client = shopper
    order = place_order(client)
    payment = create_payment(client, order)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/orders/{order['id']}/").status_code == 200

    stored = Payment.objects.get(pk=payment["id"])
    assert stored.status == "canceled"
    assert stripe_fake.intent(stored.provider_payment_id)["status"] == "canceled"
