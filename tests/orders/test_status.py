"""The order status machine, cancellation, reservation expiry and refunds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product
from orders.exceptions import InvalidStatusTransition, OrderNotCancellable
from orders.models import Order, OrderStatus
from orders.services import (
    TRANSITIONS,
    order_cancel,
    order_mark_paid,
    order_place,
    order_record_refund,
    order_set_status,
    orders_expire_reservations,
)
from orders.signals import order_cancelled
from tests.factories import ProductFactory, StaffFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db
S = OrderStatus


@pytest.fixture
def staff():
    return StaffFactory()


def place(quantity=2, stock=5, price="10.00"):
    user = verify_email(UserFactory())
    product = ProductFactory(stock_quantity=stock, price=price)
    cart = cart_get_for_user(user=user)
    cart_add_item(cart=cart, product=product, quantity=quantity)
    return order_place(user=user, cart=cart, shipping_address=address_data()), product


def force_status(order, status):
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def stock_of(product):
    return Product.objects.get(pk=product.pk).stock_quantity


ALL = [choice for choice, _ in S.choices]
STAFF_MOVES = [S.PROCESSING, S.SHIPPED, S.DELIVERED]


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("target", STAFF_MOVES)
def test_every_staff_move_from_every_status(staff, start, target):
    order, _ = place()
    force_status(order, start)
    if target in TRANSITIONS[start]:
        moved = order_set_status(order=order, status=target, by=staff)
        assert moved.status == target
        last = moved.status_history.last()
        assert (last.from_status, last.to_status, last.by) == (start, target, staff)
    else:
        with pytest.raises(InvalidStatusTransition):
            order_set_status(order=order, status=target, by=staff)
        assert Order.objects.get(pk=order.pk).status == start


@pytest.mark.parametrize("status", [S.PAID, S.REFUNDED, S.PENDING, "bogus"])
def test_staff_cannot_set_payment_statuses_by_hand(staff, status):
    order, _ = place()
    with pytest.raises(InvalidStatusTransition):
        order_set_status(order=order, status=status, by=staff)


def test_the_legal_path_and_its_history(staff):
    order, _ = place()
    assert order_mark_paid(order=order)
    for status in STAFF_MOVES:
        order = order_set_status(order=order, status=status, by=staff)
    history = [(c.from_status, c.to_status) for c in order.status_history.all()]
    assert history == [
        ("", "pending"),
        ("pending", "paid"),
        ("paid", "processing"),
        ("processing", "shipped"),
        ("shipped", "delivered"),
    ]
    assert order.reserved_until is None


@pytest.mark.parametrize("start", [S.PENDING, S.PAID, S.PROCESSING])
def test_cancelling_returns_the_stock(staff, start):
    order, product = place(quantity=2, stock=5)
    force_status(order, start)
    assert stock_of(product) == 3
    cancelled = order_cancel(order=order, by=staff)
    assert cancelled.status == S.CANCELLED and cancelled.cancelled_at
    assert stock_of(product) == 5


@pytest.mark.parametrize("start", [S.SHIPPED, S.DELIVERED, S.CANCELLED, S.REFUNDED])
def test_what_cannot_be_cancelled(staff, start):
    order, product = place()
    force_status(order, start)
    with pytest.raises(OrderNotCancellable) as error:
        order_cancel(order=order, by=staff)
    assert error.value.code == "invalid_status_transition"
    assert stock_of(product) == 3


def test_the_owner_cancels_only_while_pending_or_paid():
    order, _ = place()
    force_status(order, S.PROCESSING)
    with pytest.raises(OrderNotCancellable):
        order_cancel(order=order, by=order.user)
    force_status(order, S.PAID)
    assert order_cancel(order=order, by=order.user).status == S.CANCELLED


def test_cancelling_a_paid_order_asks_payments_to_refund(staff, django_capture_on_commit_callbacks):
    received = []

    def handler(sender, order, previous_status, by, **kwargs):
        received.append((order.pk, previous_status, by))

    order_cancelled.connect(handler)
    try:
        order, _ = place()
        order_mark_paid(order=order)
        with django_capture_on_commit_callbacks(execute=True):
            order_cancel(order=order, by=staff)
    finally:
        order_cancelled.disconnect(handler)
    assert received == [(order.pk, S.PAID, staff)]
    assert mail.outbox[-1].subject == f"Order {order.number} was cancelled"


def test_payment_for_a_cancelled_order_is_refused():
    order, _ = place()
    order_cancel(order=order, by=order.user)
    assert order_mark_paid(order=order) is False
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED


def test_refunds_add_up_and_a_full_refund_moves_to_refunded():
    order, _ = place(quantity=2, price="10.00")
    order_mark_paid(order=order)
    order = order_record_refund(order=order, amount=Decimal("5.00"))
    assert order.status == S.PAID and order.refunded_total == Decimal("5.00")
    order = order_record_refund(order=order, amount=Decimal("15.00"))
    assert order.status == S.REFUNDED and order.refunded_total == Decimal("20.00")


def test_a_cancelled_order_refunded_in_full_stays_cancelled():
    order, _ = place()
    order_mark_paid(order=order)
    order_cancel(order=order, by=None)
    order = order_record_refund(order=Order.objects.get(pk=order.pk), amount=order.total)
    assert order.status == S.CANCELLED and order.refunded_total == order.total


def test_expired_reservations_are_cancelled_with_time_moved_forward():
    order, product = place(quantity=2, stock=5)
    paid, paid_product = place(quantity=1, stock=5)
    order_mark_paid(order=paid)

    assert orders_expire_reservations() == 0  # not yet
    later = timezone.now() + timedelta(minutes=31)
    assert orders_expire_reservations(now=later) == 1

    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.status_history.last().by is None
    assert "expired" in order.status_history.last().note
    assert stock_of(product) == 5
    assert Order.objects.get(pk=paid.pk).status == S.PAID  # paying in time keeps it
    assert stock_of(paid_product) == 4


def test_the_expire_command(capsys):
    order, _ = place()
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    call_command("expire_reservations")
    assert "Cancelled 1 expired" in capsys.readouterr().out
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED


def test_shipped_mail_respects_the_order_updates_preference(
    staff, django_capture_on_commit_callbacks
):
    order, _ = place()
    order_mark_paid(order=order)
    order_set_status(order=order, status=S.PROCESSING, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        order_set_status(order=order, status=S.SHIPPED, by=staff)
    assert mail.outbox[-1].subject == f"Order {order.number} is on its way"

    type(order.user).objects.filter(pk=order.user_id).update(order_updates=False)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        order_set_status(order=order, status=S.DELIVERED, by=staff)
    assert len(mail.outbox) == sent


def test_erasing_an_account_anonymises_its_orders_but_keeps_them():
    from accounts.services import user_erase
    from tests.factories import DEFAULT_PASSWORD

    order, _ = place()
    user_erase(user=order.user, password=DEFAULT_PASSWORD)
    order.refresh_from_db()
    assert order.shipping_address["full_name"] == ""
    assert order.shipping_address["line1"] == "" and order.shipping_address["phone"] == ""
    assert order.shipping_address["country"] == "GB"
    assert order.total == Decimal("20.00") and order.lines.count() == 1
