"""Guests of the API (issue 19): a guest cart token (X-Cart-Token) to shop before
signing in, guest checkout and payment, and at sign-up the cart merged and the guest
order adopted once the address is verified."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from cart.models import Cart, CartItem
from orders.models import Order, OrderStatus
from tests.factories import ProductFactory, address_data

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-47-lantern"


def guest_client() -> tuple[APIClient, str]:
    client = APIClient()
    response = client.post("/api/v1/cart/token/")
    assert response.status_code == 201
    token = response.json()["cart_token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    return client, token


def checkout(client, **body):
    data = {"email": "mia@example.com", "shipping_address": address_data(), **body}
    return client.post(
        "/api/v1/cart/checkout/",
        {key: value for key, value in data.items() if value is not None},
        format="json",
    )


def test_a_guest_token_names_a_cart_and_keeps_only_its_digest():
    client, token = guest_client()
    lamp = ProductFactory(price="30.00")

    added = client.post("/api/v1/cart/add/", {"product_id": lamp.pk, "quantity": 2}, format="json")

    assert added.status_code == 200
    assert added.json()["total_items"] == 2
    cart = Cart.objects.get()
    assert cart.user is None and cart.token_hash and token not in cart.token_hash
    assert client.get("/api/v1/cart/").json()["subtotal"] == "60.00"


def test_without_a_token_or_with_an_unknown_one_the_cart_says_why():
    anonymous = APIClient()
    refused = anonymous.get("/api/v1/cart/")
    assert refused.status_code == 401

    anonymous.credentials(HTTP_X_CART_TOKEN="never-issued")
    unknown = anonymous.post("/api/v1/cart/add/", {"product_id": 1}, format="json")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "cart_token_unknown"

    anonymous.credentials(HTTP_X_CART_TOKEN="é" * 10)
    invalid = anonymous.get("/api/v1/cart/")
    assert invalid.status_code == 401
    assert invalid.json()["code"] == "cart_token_invalid"


def test_a_guest_checks_out_pays_and_reads_the_order_nobody_else_can(
    django_capture_on_commit_callbacks,
):
    client, _token = guest_client()
    lamp = ProductFactory(price="30.00", stock_quantity=4)
    client.post("/api/v1/cart/add/", {"product_id": lamp.pk}, format="json")

    without_email = checkout(client, email="")
    assert without_email.status_code == 400
    book = checkout(client, shipping_address=None, shipping_address_id=1)
    assert book.status_code == 400
    assert "shipping_address_id" in book.json()["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout(client)

    assert placed.status_code == 201, placed.json()
    order = placed.json()
    assert order["email"] == "mia@example.com" and order["awaiting_email"] is False
    assert re.search(r"/orders/link/[^/\s]+/", mail.outbox[-1].body)
    listed = client.get("/api/v1/orders/").json()
    assert [o["id"] for o in listed["results"]] == [order["id"]]

    created = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert created.status_code == 201 and created.json()["client_secret"]
    confirmed = client.post(
        "/api/v1/payments/confirm/",
        {"payment_id": created.json()["id"], "payment_method": "pm_card_visa"},
        format="json",
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    assert client.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "paid"

    other, _ = guest_client()
    assert other.get(f"/api/v1/orders/{order['id']}/").status_code == 404
    assert other.get("/api/v1/orders/").json()["results"] == []
    stolen = other.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert stolen.status_code == 404
    assert other.post(f"/api/v1/orders/{order['id']}/fulfilments/", {}).status_code == 403


def test_a_guest_cancels_their_unpaid_order():
    client, _token = guest_client()
    client.post("/api/v1/cart/add/", {"product_id": ProductFactory().pk}, format="json")
    order = checkout(client).json()

    cancelled = client.delete(f"/api/v1/orders/{order['id']}/")

    assert cancelled.status_code == 200
    assert Order.objects.get(pk=order["id"]).status == OrderStatus.CANCELLED


def test_shop_as_a_guest_sign_up_and_find_the_cart_merged_and_the_order_adopted(
    django_capture_on_commit_callbacks,
):
    """The issue's "done when": X-Cart-Token, sign up, verify, sign in with the token."""
    client, token = guest_client()
    lamp, mug = ProductFactory(name="Lamp"), ProductFactory(name="Mug")
    client.post("/api/v1/cart/add/", {"product_id": lamp.pk}, format="json")
    order = checkout(client, email="Mia@Example.com").json()
    client.post("/api/v1/cart/add/", {"product_id": mug.pk, "quantity": 3}, format="json")

    with django_capture_on_commit_callbacks(execute=True):
        registered = APIClient().post(
            "/api/v1/auth/register/",
            {"email": "mia@example.com", "password": STRONG},
            format="json",
        )
    assert registered.status_code == 201
    assert Order.objects.get(pk=order["id"]).user is None  # not before verification
    verification = next(
        m for m in mail.outbox if "mia@example.com" in m.to and "onfirm" in m.subject
    )
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", verification.body).group(1)
    verified = APIClient().post("/api/v1/auth/verify-email/", {"key": key}, format="json")
    assert verified.status_code == 204

    signing_in = APIClient()
    signing_in.credentials(HTTP_X_CART_TOKEN=token)
    login = signing_in.post(
        "/api/v1/auth/login/", {"email": "mia@example.com", "password": STRONG}, format="json"
    )
    assert login.status_code == 200
    person = APIClient()
    person.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    cart = person.get("/api/v1/cart/").json()
    assert [(line["product"]["name"], line["quantity"]) for line in cart["items"]] == [("Mug", 3)]
    orders = person.get("/api/v1/orders/").json()["results"]
    assert [o["id"] for o in orders] == [order["id"]]
    assert not Cart.objects.filter(user__isnull=True, items__isnull=False).exists()
    assert CartItem.objects.filter(cart__user__email="mia@example.com").count() == 1
    # The guest token no longer reaches the adopted order.
    assert client.get(f"/api/v1/orders/{order['id']}/").status_code == 404


def test_a_guest_reads_the_invoice_and_asks_for_a_return_with_the_token(
    django_capture_on_commit_callbacks,
):
    from orders.services import order_fulfil, order_set_status

    client, _token = guest_client()
    lamp = ProductFactory(name="Lamp", price="30.00")
    client.post("/api/v1/cart/add/", {"product_id": lamp.pk}, format="json")
    order = checkout(client).json()
    payment = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/api/v1/payments/confirm/",
            {"payment_id": payment.json()["id"], "payment_method": "pm_card_visa"},
            format="json",
        )
    placed = Order.objects.get(pk=order["id"])
    order_fulfil(order=placed, shop_id=lamp.shop_id, by=None, carrier="DHL")
    order_set_status(order=placed, status="delivered", by=None)

    invoices = client.get(f"/api/v1/orders/{order['id']}/invoices/")
    assert invoices.status_code == 200 and len(invoices.json()) == 1
    pdf = client.get(invoices.json()[0]["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    line_id = order["lines"][0]["id"]
    asked = client.post(
        f"/api/v1/orders/{order['id']}/returns/",
        {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "Too dim."},
        format="json",
    )
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    other, _ = guest_client()
    assert other.get(f"/api/v1/orders/{order['id']}/invoices/").status_code == 404
    assert other.get(invoices.json()[0]["pdf_url"]).status_code == 404
