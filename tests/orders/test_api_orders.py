"""orders/ and cart/checkout/: placing, reading, staff status changes, cancelling, reports."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Address
from catalog.models import Product
from orders.models import Order
from orders.services import order_mark_paid
from tests.conftest import bearer_client
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    address_data,
    set_stock,
    verify_email,
)

pytestmark = pytest.mark.django_db


def shopper():
    user = verify_email(UserFactory())
    return user, bearer_client(user)


def fill_cart(client, *products, quantity=1):
    for product in products:
        response = client.post(
            "/api/v1/cart/add/", {"product_id": product.pk, "quantity": quantity}, format="json"
        )
        assert response.status_code == 200, response.json()


def checkout(client, **body):
    return client.post(
        "/api/v1/cart/checkout/", body or {"shipping_address": address_data()}, format="json"
    )


def test_checkout_answers_201_with_the_order_shape():
    _, client = shopper()
    lamp = ProductFactory(price="20.00", stock_quantity=5)
    fill_cart(client, lamp, quantity=2)
    response = checkout(client)
    assert response.status_code == 201
    order = response.json()
    assert set(order) >= {
        "id",
        "number",
        "status",
        "lines",
        "subtotal",
        "total",
        "currency",
        "shipping_address",
        "billing_address",
        "refunded_total",
        "reserved_until",
        "status_history",
        "created_at",
        "updated_at",
    }
    assert order["status"] == "pending" and order["total"] == "40.00"
    line = lamp.order_lines.get()
    assert order["lines"][0] == {
        "id": line.pk,
        "product_id": lamp.pk,
        "variant_id": lamp.variants.get().pk,
        "product_name": lamp.name,
        "variant_options": "",
        "sku": lamp.sku,
        "shop": {"id": lamp.shop_id, "name": lamp.shop.name},
        "unit_price": "20.00",
        "quantity": 2,
        "line_total": "40.00",
        "discount_amount": "0.00",
        "tax_rate": "0.00",
        "tax_amount": "0.00",
    }
    assert order["shipping_address"]["country"] == "GB"
    assert order["status_history"][0]["status"] == "pending"
    assert client.get("/api/v1/cart/").json()["items"] == []
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 3


def test_post_orders_is_the_same_as_checkout():
    _, client = shopper()
    fill_cart(client, ProductFactory())
    response = client.post("/api/v1/orders/", {"shipping_address": address_data()}, format="json")
    assert response.status_code == 201


def test_checkout_with_an_address_book_entry_and_a_billing_address():
    user, client = shopper()
    address = Address.objects.create(user=user, **address_data(city="Bath"))
    fill_cart(client, ProductFactory())
    response = checkout(
        client, shipping_address_id=address.pk, billing_address=address_data(city="York")
    )
    assert response.status_code == 201
    assert response.json()["shipping_address"]["city"] == "Bath"
    assert response.json()["billing_address"]["city"] == "York"


def test_checkout_validation_errors_write_nothing():
    _, client = shopper()
    fill_cart(client, ProductFactory())
    both = checkout(client, shipping_address=address_data(), shipping_address_id=1)
    assert both.status_code == 400 and both.json()["code"] == "validation_error"
    missing = client.post("/api/v1/cart/checkout/", {}, format="json")
    assert "shipping_address" in missing.json()["fields"]
    bad = checkout(client, shipping_address=address_data(city="", country="XX"))
    assert {"shipping_address.city", "shipping_address.country"} <= set(bad.json()["fields"])
    theirs = Address.objects.create(user=UserFactory(), **address_data())
    assert checkout(client, shipping_address_id=theirs.pk).status_code == 404
    assert not Order.objects.exists()


def test_an_empty_cart_is_400_cart_empty():
    _, client = shopper()
    response = checkout(client)
    assert response.status_code == 400 and response.json()["code"] == "cart_empty"


def test_checkout_needs_a_verified_email():
    user = UserFactory()
    client = bearer_client(user)
    fill_cart(client, ProductFactory())
    response = checkout(client)
    assert response.status_code == 403 and response.json()["code"] == "email_not_verified"


def test_not_enough_stock_says_which_product_and_how_many_are_left():
    _, client = shopper()
    lamp = ProductFactory(stock_quantity=2)
    fill_cart(client, lamp, quantity=2)
    set_stock(lamp, 1)
    response = checkout(client)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert (response.json()["product_id"], response.json()["available"]) == (lamp.pk, 1)


def place(client, *products):
    fill_cart(client, *(products or (ProductFactory(),)))
    return checkout(client).json()


def test_customers_see_only_their_own_orders():
    _, client = shopper()
    _, other = shopper()
    mine = place(client)
    theirs = place(other)
    listing = client.get("/api/v1/orders/").json()
    assert [order["id"] for order in listing["results"]] == [mine["id"]]
    assert client.get(f"/api/v1/orders/{mine['id']}/").status_code == 200
    response = client.get(f"/api/v1/orders/{theirs['id']}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.delete(f"/api/v1/orders/{theirs['id']}/").status_code == 404


def test_shop_members_see_orders_with_their_lines_only():
    member = MembershipFactory(role="staff")
    ours = ProductFactory(shop=member.shop)
    elsewhere = ProductFactory()
    _, client = shopper()
    order = place(client, ours, elsewhere)
    place(client, elsewhere)

    seller = bearer_client(member.user)
    listing = seller.get("/api/v1/orders/").json()
    assert listing["count"] == 1
    assert [line["product_id"] for line in listing["results"][0]["lines"]] == [ours.pk]
    assert seller.get(f"/api/v1/orders/{order['id']}/").json()["lines"][0]["product_id"] == ours.pk
    response = seller.delete(f"/api/v1/orders/{order['id']}/")
    assert response.status_code == 403


def test_staff_see_all_orders_with_filters():
    staff = bearer_client(StaffFactory())
    user, client = shopper()
    shop_product = ProductFactory()
    first = place(client, shop_product)
    second = place(client)
    order_mark_paid(order=Order.objects.get(pk=second["id"]))
    assert staff.get("/api/v1/orders/").json()["count"] == 2
    assert [
        o["id"] for o in staff.get("/api/v1/orders/", {"status": "paid"}).json()["results"]
    ] == [second["id"]]
    assert [
        o["id"]
        for o in staff.get("/api/v1/orders/", {"shop": shop_product.shop_id}).json()["results"]
    ] == [first["id"]]
    assert staff.get("/api/v1/orders/", {"user": user.pk}).json()["count"] == 2
    assert staff.get("/api/v1/orders/", {"status": "bogus"}).status_code == 400


def test_staff_move_an_order_and_illegal_moves_are_409():
    staff = bearer_client(StaffFactory())
    _, client = shopper()
    order = place(client)
    illegal = staff.put(
        f"/api/v1/orders/{order['id']}/status/", {"status": "shipped"}, format="json"
    )
    assert illegal.status_code == 409 and illegal.json()["code"] == "invalid_status_transition"
    paid_by_hand = staff.put(
        f"/api/v1/orders/{order['id']}/status", {"status": "paid"}, format="json"
    )
    assert paid_by_hand.status_code == 409

    order_mark_paid(order=Order.objects.get(pk=order["id"]))
    moved = staff.put(
        f"/api/v1/orders/{order['id']}/status/", {"status": "processing"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "processing"
    assert [h["status"] for h in moved.json()["status_history"]] == [
        "pending",
        "paid",
        "processing",
    ]

    customer = client.put(
        f"/api/v1/orders/{order['id']}/status/", {"status": "shipped"}, format="json"
    )
    assert customer.status_code == 403


def test_cancel_answers_200_with_the_order_and_returns_stock():
    _, client = shopper()
    lamp = ProductFactory(stock_quantity=5)
    fill_cart(client, lamp, quantity=2)
    order = checkout(client).json()
    response = client.delete(f"/api/v1/orders/{order['id']}/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["reserved_until"] is None
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 5
    again = client.delete(f"/api/v1/orders/{order['id']}")
    assert again.status_code == 409 and again.json()["code"] == "invalid_status_transition"


def test_a_users_orders_for_staff_or_that_user():
    user, client = shopper()
    place(client)
    assert client.get(f"/api/v1/users/{user.pk}/orders/").json()["count"] == 1
    other = bearer_client(UserFactory())
    assert other.get(f"/api/v1/users/{user.pk}/orders/").status_code == 404
    staff = bearer_client(StaffFactory())
    assert staff.get(f"/api/v1/users/{user.pk}/orders").json()["count"] == 1
    assert staff.get("/api/v1/users/999999/orders/").status_code == 404


def test_order_list_and_detail_use_a_fixed_number_of_queries(django_assert_max_num_queries):
    _, client = shopper()
    first = place(client, ProductFactory())
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/orders/").json()["count"] == 1
    with django_assert_max_num_queries(8):
        client.get(f"/api/v1/orders/{first['id']}/")
    for _ in range(8):
        place(client, ProductFactory(), ProductFactory(), ProductFactory())
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/orders/", {"page_size": 50}).json()
    assert body["count"] == 9 and len(body["results"][0]["lines"]) == 3
    with django_assert_max_num_queries(8):
        client.get(f"/api/v1/orders/{body['results'][0]['id']}/")


def test_sales_report_for_staff():
    staff = bearer_client(StaffFactory())
    _, client = shopper()
    shop_a, shop_b = ProductFactory(price="10.00"), ProductFactory(price="5.00")
    paid = place(client, shop_a, shop_b)
    order_mark_paid(order=Order.objects.get(pk=paid["id"]))
    place(client, shop_a)  # pending: not a sale

    by_shop = staff.get("/api/v1/reports/sales/", {"group_by": "shop"}).json()
    assert [(row["label"], row["revenue"], row["units"]) for row in by_shop["results"]] == [
        (shop_a.shop.name, "10.00", 1),
        (shop_b.shop.name, "5.00", 1),
    ]
    assert by_shop["totals"] == {"revenue": "15.00", "orders": 1, "units": 2}
    today = timezone.now().date()
    by_day = staff.get(
        "/api/v1/reports/sales", {"date_from": today - timedelta(days=1), "date_to": today}
    ).json()
    assert by_day["results"] == [
        {
            "key": today.isoformat(),
            "label": today.isoformat(),
            "revenue": "15.00",
            "orders": 1,
            "units": 2,
        }
    ]
    assert staff.get("/api/v1/reports/sales/", {"group_by": "weekday"}).status_code == 400
    assert (
        staff.get(
            "/api/v1/reports/sales/", {"date_from": today, "date_to": today - timedelta(days=2)}
        ).status_code
        == 400
    )
    assert client.get("/api/v1/reports/sales/").status_code == 403
