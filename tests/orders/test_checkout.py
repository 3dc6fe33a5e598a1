"""Checkout: atomic stock reservation, snapshots, and no overselling under concurrency."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from accounts.exceptions import EmailNotVerified
from cart.exceptions import InsufficientStock, ProductUnavailable
from cart.models import CartItem
from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product
from orders.exceptions import CartEmpty
from orders.models import Order, OrderStatus
from orders.services import order_place
from tests.factories import ProductFactory, UserFactory, address_data, set_stock, verify_email

pytestmark = pytest.mark.django_db


def buyer():
    return verify_email(UserFactory())


def cart_with(user, *products_and_quantities):
    cart = cart_get_for_user(user=user)
    for product, quantity in products_and_quantities:
        cart_add_item(cart=cart, product=product, quantity=quantity)
    return cart


def test_checkout_reserves_stock_snapshots_lines_and_empties_the_cart(
    django_capture_on_commit_callbacks,
):
    user = buyer()
    lamp = ProductFactory(name="Lamp", price="20.00", stock_quantity=5, sku="L-1")
    mug = ProductFactory(name="Mug", price="7.50", stock_quantity=2)
    cart = cart_with(user, (lamp, 2), (mug, 1))

    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(user=user, cart=cart, shipping_address=address_data())

    assert order.status == OrderStatus.PENDING
    assert order.subtotal == order.total == Decimal("47.50")
    assert order.reserved_until is not None
    lines = {line.product_name: line for line in order.lines.all()}
    assert lines["Lamp"].unit_price == Decimal("20.00") and lines["Lamp"].quantity == 2
    assert lines["Lamp"].sku == "L-1" and lines["Lamp"].shop_name == lamp.shop.name
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 3
    assert Product.objects.get(pk=mug.pk).stock_quantity == 1
    assert not CartItem.objects.filter(cart=cart).exists()
    assert [change.to_status for change in order.status_history.all()] == ["pending"]
    assert mail.outbox[-1].subject == f"Order {order.number} confirmed"

    # Later catalog changes do not touch the order.
    Product.objects.filter(pk=lamp.pk).update(name="Renamed", price="99.00")
    assert order.lines.get(sku="L-1").product_name == "Lamp"


def test_not_enough_stock_for_any_line_writes_nothing():
    user = buyer()
    plenty = ProductFactory(stock_quantity=10)
    scarce = ProductFactory(stock_quantity=3)
    cart = cart_with(user, (plenty, 2), (scarce, 3))
    set_stock(scarce, 1)  # sold elsewhere meanwhile

    with pytest.raises(InsufficientStock) as error:
        order_place(user=user, cart=cart, shipping_address=address_data())
    assert error.value.as_dict()["product_id"] == scarce.pk
    assert error.value.as_dict()["available"] == 1
    assert not Order.objects.exists()
    assert Product.objects.get(pk=plenty.pk).stock_quantity == 10
    assert CartItem.objects.filter(cart=cart).count() == 2


def test_an_empty_cart_and_an_unverified_email_are_refused():
    with pytest.raises(CartEmpty):
        order_place(user=buyer(), cart=cart_get_for_user(user=buyer()), shipping_address={})
    unverified = UserFactory()
    cart = cart_with(unverified, (ProductFactory(), 1))
    with pytest.raises(EmailNotVerified):
        order_place(user=unverified, cart=cart, shipping_address=address_data())
    assert not Order.objects.exists()


def test_a_product_withdrawn_since_it_was_added_is_refused():
    user = buyer()
    product = ProductFactory()
    cart = cart_with(user, (product, 1))
    Product.objects.filter(pk=product.pk).update(is_active=False)
    with pytest.raises(ProductUnavailable):
        order_place(user=user, cart=cart, shipping_address=address_data())


# --- Concurrency on PostgreSQL, with real threads ------------------------------------


# PostgreSQL here takes 100 connections: like a production connection pool, at most
# this many checkouts hold a connection at once; all of them start together.
DATABASE_CONNECTIONS = 40


def _run_in_threads(count, work):
    results, barrier = [], threading.Barrier(count)
    pool = threading.BoundedSemaphore(DATABASE_CONNECTIONS)

    def run(index):
        try:
            barrier.wait(timeout=30)
            with pool:
                try:
                    results.append(("ok", work(index)))
                finally:
                    connection.close()
            return
        except Exception as exc:
            results.append(("error", exc))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung (deadlock?)"
    return results


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_200_simultaneous_checkouts_for_50_units_sell_exactly_50():
    product = ProductFactory(stock_quantity=50)
    buyers = [verify_email(UserFactory()) for _ in range(200)]
    carts = [cart_with(person, (product, 1)) for person in buyers]

    results = _run_in_threads(
        200,
        lambda index: (
            order_place(user=buyers[index], cart=carts[index], shipping_address=address_data()).pk
        ),
    )

    placed = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "error"]
    assert len(placed) == 50
    assert len(refused) == 150
    unexpected = {
        repr(error)[:200] for error in refused if not isinstance(error, InsufficientStock)
    }
    assert not unexpected
    assert all(error.as_dict()["available"] == 0 for error in refused)
    assert Order.objects.count() == 50
    assert Product.objects.get(pk=product.pk).stock_quantity == 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_carts_with_two_products_in_opposite_orders_check_out_without_deadlock():
    first = ProductFactory(stock_quantity=100)
    second = ProductFactory(stock_quantity=100)
    buyers = [verify_email(UserFactory()) for _ in range(20)]
    carts = [
        cart_with(person, (first, 1), (second, 1))
        if index % 2
        else cart_with(person, (second, 1), (first, 1))
        for index, person in enumerate(buyers)
    ]

    results = _run_in_threads(
        20,
        lambda index: order_place(
            user=buyers[index], cart=carts[index], shipping_address=address_data()
        ),
    )

    assert [outcome for outcome, _ in results] == ["ok"] * 20, [
        v for o, v in results if o == "error"
    ]
    assert Product.objects.get(pk=first.pk).stock_quantity == 80
    assert Product.objects.get(pk=second.pk).stock_quantity == 80
