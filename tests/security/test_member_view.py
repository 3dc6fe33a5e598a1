"""Members see only their part of an order (issue 14, point 7).

A shop member reading a multi-shop order placed by someone else sees their lines, their
own subtotal and the shipping address: not the other shops' lines or totals, not the
billing address, not the payments. The buyer and staff who may view orders see it all.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cart.services import cart_add_item, cart_get_for_user
from orders.services import order_place
from shops.services import shop_create
from tests.conftest import bearer_client
from tests.factories import ProductFactory, StaffFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db):
    owner_x = verify_email(UserFactory(email="x@example.com"))
    shop_x = shop_create(owner=owner_x, data={"name": "Shop X"})
    shop_y = shop_create(owner=verify_email(UserFactory()), data={"name": "Shop Y"})
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(shop=shop_x, price="10.00"), quantity=2)
    cart_add_item(cart=cart, product=ProductFactory(shop=shop_y, price="99.00"), quantity=1)
    placed = order_place(
        user=buyer,
        cart=cart,
        shipping_address=address_data(full_name="Ship To"),
        billing_address=address_data(full_name="Bill To", line1="Secret 1"),
    )
    placed.owner_x = owner_x
    return placed


def test_the_api_shows_a_member_their_part_only(order):
    body = bearer_client(order.owner_x).get(f"/api/v1/orders/{order.pk}/").json()
    assert body["scope"] == "shop"
    assert [line["shop"]["name"] for line in body["lines"]] == ["Shop X"]
    assert (body["subtotal"], body["total"]) == ("20.00", "20.00")
    assert body["billing_address"] is None and body["refunded_total"] is None
    assert body["shipping_address"]["full_name"] == "Ship To"

    listed = bearer_client(order.owner_x).get("/api/v1/orders/").json()["results"]
    assert [(row["id"], row["total"], row["scope"]) for row in listed] == [
        (str(order.pk), "20.00", "shop")
    ]


def test_the_buyer_and_staff_see_the_whole_order(order):
    for viewer in (order.user, StaffFactory()):
        body = bearer_client(viewer).get(f"/api/v1/orders/{order.pk}/").json()
        assert body["scope"] == "full"
        assert (body["subtotal"], body["total"]) == ("119.00", "119.00")
        assert body["billing_address"]["line1"] == "Secret 1"
        assert len(body["lines"]) == 2


def test_the_order_page_shows_a_member_their_part_only(client, order):
    client.force_login(order.owner_x)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Secret 1" not in page and "Bill To" not in page
    assert "119.00" not in page and "99.00" not in page
    assert "20.00" in page and "Ship To" in page
    listing = client.get(reverse("orders:list")).content.decode()
    assert "119.00" not in listing and "20.00" in listing


def test_a_member_does_not_read_the_orders_refunds_in_its_history(client, order):
    from orders.services import order_mark_paid, order_record_refund

    order_mark_paid(order=order)
    order_record_refund(order=order, amount=order.total, note="Refund of 119.00 USD")
    client.force_login(order.owner_x)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Refund of 119.00 USD" not in page
    client.force_login(order.user)
    assert (
        "Refund of 119.00 USD"
        in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    )
