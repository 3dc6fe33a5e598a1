"""A customer's order history (`GET /api/v1/orders/`) comes from the cache until one of
their orders changes, and every change is on the next request; checkout's answer (built
from the order just written, without reading it back) is the order as read back."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from orders.services import order_cancel, order_mark_paid, orders_anonymise_for_user
from tests.conftest import bearer_client
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db


def shopper():
    user = verify_email(UserFactory())
    return user, bearer_client(user)


def place(client, product, quantity=1):
    response = client.post(
        "/api/v1/cart/add/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    assert response.status_code == 200, response.json()
    response = client.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def history(client, query=""):
    response = client.get(f"/api/v1/orders/{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_checkout_answers_the_order_as_it_reads_back():
    _, client = shopper()
    lamp = ProductFactory(price="20.00", stock_quantity=5)
    chair = ProductFactory(price="35.50", stock_quantity=5)
    client.post("/api/v1/cart/add/", {"product_id": chair.pk, "quantity": 1}, format="json")
    placed = place(client, lamp, quantity=2)
    assert [line["product_id"] for line in placed["lines"]] == sorted([lamp.pk, chair.pk])
    assert placed == client.get(f"/api/v1/orders/{placed['id']}/").json()
    assert history(client)["results"] == [placed]


def test_a_second_read_comes_from_the_cache():
    _, client = shopper()
    place(client, ProductFactory(stock_quantity=5))
    first = history(client)
    with CaptureQueriesContext(connection) as queries:
        second = history(client)
    assert second == first
    # No query at all: the token's user (core.security.jwt) and which shops they manage
    # (shops.selectors.user_shop_ids: none) come from the cache too.
    assert len(queries) == 0


def test_every_change_to_an_order_is_on_the_next_read(django_capture_on_commit_callbacks):
    buyer, client = shopper()
    lamp = ProductFactory(stock_quantity=5)
    placed = place(client, lamp)
    assert history(client)["results"][0]["status"] == "pending"

    order_mark_paid(order=Order.objects.get(pk=placed["id"]))
    page = history(client)
    assert page["results"][0]["status"] == "paid"
    assert [change["status"] for change in page["results"][0]["status_history"]] == [
        "pending",
        "paid",
    ]

    second = place(client, lamp)
    page = history(client)
    assert page["count"] == 2 and page["results"][0]["id"] == second["id"]

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=Order.objects.get(pk=second["id"]), by=buyer)
    assert history(client)["results"][0]["status"] == "cancelled"

    orders_anonymise_for_user(user=buyer)
    assert history(client)["results"][1]["shipping_address"]["line1"] == ""


def test_pages_and_filters_are_cached_apart():
    _, client = shopper()
    lamp = ProductFactory(stock_quantity=5)
    placed = place(client, lamp)
    place(client, lamp)
    order_mark_paid(order=Order.objects.get(pk=placed["id"]))
    assert history(client)["count"] == 2
    paid = history(client, "?status=paid")
    assert paid["count"] == 1 and paid["results"][0]["id"] == placed["id"]
    second_page = history(client, "?page_size=1&page=2")
    assert second_page["results"][0]["id"] == placed["id"]
    assert history(client, "?page_size=1&page=2") == second_page
    for _attempt in range(2):  # a refused filter is refused again, never cached
        assert client.get("/api/v1/orders/?status=bogus").status_code == 400


def test_people_see_only_their_own_cached_history():
    _, alice = shopper()
    _, bob = shopper()
    place(alice, ProductFactory(stock_quantity=5))
    assert history(alice)["count"] == 1
    assert history(bob)["count"] == 0
    place(bob, ProductFactory(stock_quantity=5))
    assert history(bob)["count"] == 1
    assert history(alice)["count"] == 1


def test_shop_members_see_their_shops_new_orders_at_once():
    member = verify_email(UserFactory())
    membership = MembershipFactory(user=member, role="owner")
    member_client = bearer_client(member)
    assert history(member_client)["count"] == 0
    _, buyer = shopper()
    placed = place(buyer, ProductFactory(shop=membership.shop, stock_quantity=5))
    page = history(member_client)
    assert page["count"] == 1 and page["results"][0]["id"] == placed["id"]
