"""Payments over the API with the offline dummy provider (the default)."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from orders.models import Order
from payments.models import Payment, SavedPaymentMethod
from tests.conftest import bearer_client
from tests.factories import ProductFactory, StaffFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


def shopper():
    user = verify_email(UserFactory())
    return user, bearer_client(user)


def place_order(client, price="20.00", quantity=2):
    product = ProductFactory(price=price, stock_quantity=10)
    client.post(
        "/api/v1/cart/add/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    response = client.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def create(client, order_id):
    return client.post("/api/v1/payments/create/", {"order_id": order_id}, format="json")


def confirm(client, payment_id, method="pm_card_visa", **extra):
    return client.post(
        "/api/v1/payments/confirm/",
        {"payment_id": payment_id, "payment_method": method, **extra},
        format="json",
    )


def test_the_whole_journey_over_the_api(api_client, django_capture_on_commit_callbacks):
    """Register, verify, add to cart, check out, pay; a declined card first; staff refund
    part, then the rest."""
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"email": "buyer@example.com", "password": "plum-orchard-47-lantern"},
            format="json",
        )
    assert response.status_code == 201
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert (
        api_client.post("/api/v1/auth/verify-email/", {"key": key}, format="json").status_code
        == 204
    )
    tokens = api_client.post(
        "/api/v1/auth/login/",
        {"email": "buyer@example.com", "password": "plum-orchard-47-lantern"},
        format="json",
    ).json()
    client = bearer_client_from(tokens["access"])

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(client, price="20.00", quantity=2)
    assert order["status"] == "pending" and order["total"] == "40.00"

    created = create(client, order["id"])
    assert created.status_code == 201
    payment = created.json()
    assert payment["amount"] == "40.00" and payment["currency"] == "USD"
    assert payment["provider"] == "dummy" and payment["client_secret"]

    declined = confirm(client, payment["id"], "pm_card_chargeDeclined")
    assert declined.status_code == 402
    assert declined.json()["code"] == "payment_failed"
    assert declined.json()["decline_code"] == "generic_decline"
    assert Payment.objects.get(pk=payment["id"]).status == "failed"
    assert client.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "pending"

    retry = create(client, order["id"])
    assert retry.status_code == 201 and retry.json()["id"] != payment["id"]
    with django_capture_on_commit_callbacks(execute=True):
        paid = confirm(client, retry.json()["id"], "pm_card_visa")
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    order_now = client.get(f"/api/v1/orders/{order['id']}/").json()
    assert order_now["status"] == "paid" and order_now["reserved_until"] is None
    assert [m.subject for m in mail.outbox].count(
        f"Payment received for order {order['number']}"
    ) == 1

    staff = bearer_client(StaffFactory())
    part = staff.post(
        "/api/v1/payments/refund/",
        {"payment_id": retry.json()["id"], "amount": "15.00", "reason": "requested_by_customer"},
        format="json",
    )
    assert part.status_code == 201
    assert part.json()["amount"] == "15.00" and part.json()["status"] == "succeeded"
    assert client.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "paid"

    rest = staff.post("/api/v1/payments/refund/", {"payment_id": retry.json()["id"]}, format="json")
    assert rest.status_code == 201 and rest.json()["amount"] == "25.00"
    final = client.get(f"/api/v1/orders/{order['id']}/").json()
    assert final["status"] == "refunded" and final["refunded_total"] == "40.00"
    history = client.get(f"/api/v1/payments/{retry.json()['id']}/").json()
    assert [r["amount"] for r in history["refunds"]] == ["15.00", "25.00"]
    assert history["refunded_amount"] == "40.00"


def bearer_client_from(access: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_create_reuses_the_open_payment_and_takes_the_amount_from_the_order():
    _, client = shopper()
    order = place_order(client, price="12.34", quantity=1)
    first = client.post(
        "/api/v1/payments/create/", {"order_id": order["id"], "amount": "0.01"}, format="json"
    )
    assert first.status_code == 201 and first.json()["amount"] == "12.34"
    again = create(client, order["id"])
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Payment.objects.filter(order_id=order["id"]).count() == 1


def test_only_a_pending_order_can_be_paid():
    _, client = shopper()
    order = place_order(client)
    client.delete(f"/api/v1/orders/{order['id']}/")
    response = create(client, order["id"])
    assert response.status_code == 409 and response.json()["code"] == "order_not_payable"


def test_another_persons_order_and_payment_are_404():
    _, client = shopper()
    _, other = shopper()
    order = place_order(client)
    assert create(other, order["id"]).status_code == 404
    payment = create(client, order["id"]).json()
    assert confirm(other, payment["id"]).status_code == 404
    assert other.get(f"/api/v1/payments/{payment['id']}/").status_code == 404
    assert other.get("/api/v1/payments/").json()["count"] == 0
    assert client.get("/api/v1/payments/").json()["count"] == 1


def test_confirm_with_the_dummy_provider_needs_a_payment_method():
    _, client = shopper()
    payment = create(client, place_order(client)["id"]).json()
    response = client.post(
        "/api/v1/payments/confirm/", {"payment_id": payment["id"]}, format="json"
    )
    assert response.status_code == 400 and "payment_method" in response.json()["fields"]
    unknown = confirm(client, payment["id"], "pm_made_up")
    assert unknown.status_code == 402


def test_confirming_twice_is_harmless_and_a_failed_payment_cannot_be_confirmed():
    _, client = shopper()
    order = place_order(client)
    payment = create(client, order["id"]).json()
    assert confirm(client, payment["id"]).json()["status"] == "succeeded"
    assert confirm(client, payment["id"]).json()["status"] == "succeeded"
    assert Order.objects.get(pk=order["id"]).status_history.filter(to_status="paid").count() == 1

    other_order = place_order(client)
    failed = create(client, other_order["id"]).json()
    confirm(client, failed["id"], "pm_card_insufficientFunds")
    again = confirm(client, failed["id"])
    assert again.status_code == 409 and again.json()["code"] == "payment_not_confirmable"


def test_refund_rules():
    staff = bearer_client(StaffFactory())
    _, client = shopper()
    order = place_order(client, price="10.00", quantity=1)
    payment = create(client, order["id"]).json()

    not_paid = staff.post("/api/v1/payments/refund/", {"payment_id": payment["id"]}, format="json")
    assert not_paid.status_code == 409 and not_paid.json()["code"] == "payment_not_refundable"

    confirm(client, payment["id"])
    too_much = staff.post(
        "/api/v1/payments/refund/", {"payment_id": payment["id"], "amount": "10.01"}, format="json"
    )
    assert too_much.status_code == 400 and "amount" in too_much.json()["fields"]
    bad_reason = staff.post(
        "/api/v1/payments/refund/",
        {"payment_id": payment["id"], "reason": "boredom"},
        format="json",
    )
    assert bad_reason.status_code == 400 and "reason" in bad_reason.json()["fields"]
    customer = client.post("/api/v1/payments/refund/", {"payment_id": payment["id"]}, format="json")
    assert customer.status_code == 403
    unknown = staff.post(
        "/api/v1/payments/refund/",
        {"payment_id": "00000000-0000-0000-0000-000000000000"},
        format="json",
    )
    assert unknown.status_code == 404


def test_cancelling_a_paid_order_refunds_it_in_full(django_capture_on_commit_callbacks):
    _, client = shopper()
    order = place_order(client, price="10.00", quantity=3)
    payment = create(client, order["id"]).json()
    confirm(client, payment["id"])
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.delete(f"/api/v1/orders/{order['id']}/")
    assert cancelled.status_code == 200
    order_now = Order.objects.get(pk=order["id"])
    assert order_now.status == "cancelled" and order_now.refunded_total == Decimal("30.00")
    refund = Payment.objects.get(pk=payment["id"]).refunds.get()
    assert refund.reason == "order_cancelled" and refund.amount == Decimal("30.00")


def test_cancelling_an_unpaid_order_cancels_its_open_payment(django_capture_on_commit_callbacks):
    _, client = shopper()
    order = place_order(client)
    payment = create(client, order["id"]).json()
    with django_capture_on_commit_callbacks(execute=True):
        client.delete(f"/api/v1/orders/{order['id']}/")
    assert Payment.objects.get(pk=payment["id"]).status == "canceled"


def test_a_payment_that_succeeds_after_the_order_expired_is_given_back(
    django_capture_on_commit_callbacks,
):
    from payments.services import payment_mark_succeeded

    _, client = shopper()
    order = place_order(client)
    payment = Payment.objects.get(pk=create(client, order["id"]).json()["id"])
    Order.objects.filter(pk=order["id"]).update(status="cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_succeeded(payment=payment)
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.refunded_amount == payment.amount


def test_saved_cards_are_listed_and_removed():
    user, client = shopper()
    payment = create(client, place_order(client)["id"]).json()
    confirm(client, payment["id"], "pm_card_mastercard", save_payment_method=True)
    methods = client.get("/api/v1/payments/methods/").json()
    assert methods["count"] == 1
    card = methods["results"][0]
    assert (card["brand"], card["last4"]) == ("mastercard", "4444")
    other = bearer_client(UserFactory())
    assert other.delete(f"/api/v1/payments/methods/{card['id']}/").status_code == 404
    assert client.delete(f"/api/v1/payments/methods/{card['id']}").status_code == 204
    assert not SavedPaymentMethod.objects.filter(user=user).exists()


def test_payment_history_reads_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    _, client = shopper()
    payment = create(client, place_order(client)["id"]).json()
    confirm(client, payment["id"])
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/payments/").json()["count"] == 1
    for _ in range(5):
        confirm(client, create(client, place_order(client)["id"]).json()["id"])
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/payments/", {"page_size": 50}).json()["count"] == 6


def test_two_people_saving_the_same_test_card_each_keep_their_own():
    users = []
    for _ in range(2):
        user, client = shopper()
        payment = create(client, place_order(client)["id"]).json()
        confirm(client, payment["id"], "pm_card_visa", save_payment_method=True)
        users.append(user)
    for user in users:
        assert SavedPaymentMethod.objects.filter(user=user).count() == 1


def test_a_saved_card_pays_again():
    user, client = shopper()
    payment = create(client, place_order(client)["id"]).json()
    confirm(client, payment["id"], "pm_card_visa", save_payment_method=True)
    saved = SavedPaymentMethod.objects.get(user=user).provider_method_id
    second = create(client, place_order(client)["id"]).json()
    assert confirm(client, second["id"], saved).json()["status"] == "succeeded"


def test_when_one_payment_succeeds_the_orders_other_open_payments_are_cancelled():
    from payments.services import payment_mark_succeeded

    _, client = shopper()
    order = place_order(client)
    failed = create(client, order["id"]).json()
    confirm(client, failed["id"], "pm_card_chargeDeclined")
    second = create(client, order["id"]).json()
    # The first attempt succeeds after all (Stripe retried it in the browser).
    payment_mark_succeeded(payment=Payment.objects.get(pk=failed["id"]))
    assert Payment.objects.get(pk=second["id"]).status == "canceled"
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_an_order_whose_hold_ran_out_cannot_be_paid():
    from datetime import timedelta

    from django.utils import timezone

    _, client = shopper()
    order = place_order(client)
    Order.objects.filter(pk=order["id"]).update(
        reserved_until=timezone.now() - timedelta(minutes=1)
    )
    response = create(client, order["id"])
    assert response.status_code == 409 and response.json()["code"] == "order_not_payable"
