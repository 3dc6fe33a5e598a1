"""No hoarding of stock (issue 14, point 4).

One account may hold at most ORDER_MAX_PENDING_ORDERS unpaid orders, and at most
ORDER_MAX_PENDING_UNITS_PER_PRODUCT units of a product in them: the same rule for the
pages and the API, enforced by the checkout service. Reservations expire in the
quickstart too, by a loop `make run` starts (no beat runs there).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import address_create
from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order, OrderStatus
from orders.services import order_place
from tests.conftest import bearer_client
from tests.factories import ProductFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def hoarder(db):
    return verify_email(UserFactory())


def fill(user, product, quantity):
    cart_add_item(cart=cart_get_for_user(user=user), product=product, quantity=quantity)


def place(user, product, quantity):
    fill(user, product, quantity)
    return order_place(
        user=user, cart=cart_get_for_user(user=user), shipping_address=address_data()
    )


def test_the_api_refuses_a_fourth_unpaid_order(hoarder, settings):
    settings.ORDER_MAX_PENDING_ORDERS = 3
    products = [ProductFactory(stock_quantity=100) for _ in range(4)]
    for product in products[:3]:
        place(hoarder, product, 1)
    fill(hoarder, products[3], 1)
    client = bearer_client(hoarder)

    response = client.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "pending_orders_limit"
    assert response.json()["limit"] == 3
    assert Order.objects.filter(user=hoarder).count() == 3
    products[3].refresh_from_db()
    assert products[3].stock_quantity == 100  # nothing reserved
    assert cart_get_for_user(user=hoarder).items.count() == 1  # the cart is kept


def test_the_api_refuses_more_units_of_a_product_than_allowed_unpaid(hoarder, settings):
    settings.ORDER_MAX_PENDING_UNITS_PER_PRODUCT = 10
    stock = ProductFactory(name="Lamp", stock_quantity=1000)
    place(hoarder, stock, 6)
    fill(hoarder, stock, 5)
    client = bearer_client(hoarder)

    response = client.post("/api/v1/orders/", {"shipping_address": address_data()}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "pending_units_limit"
    assert (body["product_id"], body["limit"], body["available"]) == (stock.pk, 10, 4)
    stock.refresh_from_db()
    assert stock.stock_quantity == 994


def test_paying_or_an_expired_hold_frees_the_allowance(hoarder, settings):
    settings.ORDER_MAX_PENDING_ORDERS = 1
    first = place(hoarder, ProductFactory(), 1)
    Order.objects.filter(pk=first.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    second = place(hoarder, ProductFactory(), 1)  # the expired hold does not count
    Order.objects.filter(pk=second.pk).update(status=OrderStatus.PAID, reserved_until=None)
    assert place(hoarder, ProductFactory(), 1).status == OrderStatus.PENDING  # paid: not held


def test_the_checkout_page_applies_the_same_rule(client, hoarder, settings):
    settings.ORDER_MAX_PENDING_ORDERS = 1
    place(hoarder, ProductFactory(), 1)
    fill(hoarder, ProductFactory(), 1)
    address = address_create(user=hoarder, data=address_data())
    client.force_login(hoarder)

    page = client.post(
        reverse("orders:checkout"), {"shipping_choice": address.pk, "billing_choice": "same"}
    )

    assert page.status_code == 200
    assert any("unpaid orders" in str(message) for message in page.context["messages"])
    assert Order.objects.filter(user=hoarder).count() == 1


def test_other_shoppers_are_not_held_back_by_one_hoarder(hoarder, settings):
    settings.ORDER_MAX_PENDING_ORDERS = 1
    product = ProductFactory(stock_quantity=10)
    place(hoarder, product, 1)
    assert place(verify_email(UserFactory()), product, 1).status == OrderStatus.PENDING


@pytest.mark.postgresql  # a second process needs a database on disk (SQLite tests use memory)
@pytest.mark.django_db(transaction=True)
def test_the_quickstart_expiry_loop_cancels_expired_holds(tmp_path):
    """`manage.py expire_reservations --every N` (what `make run` starts beside the
    server) cancels an unpaid order once its hold runs out, without any beat."""
    buyer = verify_email(UserFactory())
    product = ProductFactory(stock_quantity=5)
    order = place(buyer, product, 2)
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))

    loop = subprocess.Popen(
        [sys.executable, "manage.py", "expire_reservations", "--every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_environment(),
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            order.refresh_from_db()
            if order.status == OrderStatus.CANCELLED:
                break
            time.sleep(0.2)
    finally:
        loop.send_signal(signal.SIGINT)  # Ctrl+C, as in `make run`: it stops cleanly
        try:
            output, errors = loop.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            loop.kill()
            output, errors = loop.communicate()
    assert order.status == OrderStatus.CANCELLED, (output, errors)
    assert order.status_history.last().note == "Reservation expired before payment."
    assert loop.returncode == 0, (loop.returncode, output, errors)  # stopped by Ctrl+C
    product.refresh_from_db()
    assert product.stock_quantity == 5


def _child_environment() -> dict:
    """The test database, for a process of its own."""
    import os

    from django.db import connection

    settings_dict = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )
    env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    return env
