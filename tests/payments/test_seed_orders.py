"""`manage.py seed_orders`: a history of demo orders valid for the domain, in bulk."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from orders.models import SALE_STATUSES, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.selectors import sales_totals
from orders.services import TRANSITIONS
from payments.models import Payment, PaymentStatus, Refund

S = OrderStatus


def seed_orders(*args: str) -> str:
    out = StringIO()
    call_command("seed_orders", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_catalog(db):
    call_command(
        "seed_demo", "--products", "40", "--no-staff", "--reviews", "10", stdout=StringIO()
    )


@pytest.mark.django_db
def test_orders_are_made_with_lines_that_add_up_to_their_totals(demo_catalog):
    output = seed_orders("--orders", "300")
    assert "Demo orders: 300 (300 new)." in output
    orders = Order.objects.all()
    assert orders.count() == 300
    assert not orders.exclude(number__startswith="DEMO-").exists()
    line_sums = dict(
        OrderLine.objects.values("order_id")
        .annotate(s=Sum("line_total"))
        .values_list("order_id", "s")
    )
    for order in orders:
        assert order.subtotal == line_sums[order.pk] > 0
        assert order.total == order.subtotal + order.shipping_total
        assert order.user.email.startswith("customer")
        assert order.shipping_address["country"] and order.shipping_address["city"]
    for line in OrderLine.objects.select_related("product", "variant"):
        assert line.line_total == line.unit_price * line.quantity
        assert line.unit_price == line.variant.price and line.shop_id == line.product.shop_id
        assert line.variant.product_id == line.product_id
        assert (line.sku, line.variant_options) == (line.variant.sku, line.variant.options_text)


@pytest.mark.django_db
def test_statuses_follow_the_order_machine_over_the_last_90_days(demo_catalog):
    seed_orders("--orders", "300")
    now = timezone.now()
    orders = list(Order.objects.prefetch_related("status_history"))
    statuses = {order.status for order in orders}
    assert {S.DELIVERED, S.SHIPPED, S.CANCELLED} <= statuses
    assert S.PENDING not in statuses  # an unpaid order would have expired by now
    assert min(order.created_at for order in orders) > now - timedelta(days=90, minutes=1)
    assert max(order.created_at for order in orders) > now - timedelta(days=3)
    assert max(order.created_at for order in orders) - min(o.created_at for o in orders) > (
        timedelta(days=60)
    )
    for order in orders:
        history = list(order.status_history.all())
        assert history[0].from_status == "" and history[0].to_status == S.PENDING
        assert history[0].at == order.created_at
        for before, after in pairwise(history):
            assert after.from_status == before.to_status
            assert after.to_status in TRANSITIONS[before.to_status]
            assert before.at <= after.at <= now
        assert history[-1].to_status == order.status
        assert order.reserved_until is None
        assert (order.paid_at is not None) == (order.status != S.CANCELLED)
        assert (order.cancelled_at is not None) == (order.status == S.CANCELLED)


@pytest.mark.django_db
def test_paid_orders_have_their_payment_and_refunded_ones_their_refund(demo_catalog):
    seed_orders("--orders", "400")
    for order in Order.objects.exclude(status=S.CANCELLED):
        payment = Payment.objects.get(order=order)
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.amount == order.total and payment.user_id == order.user_id
        assert payment.succeeded_at == order.paid_at
        assert payment.refunded_amount == order.refunded_total
    assert not Payment.objects.filter(order__status=S.CANCELLED).exists()
    refunded = Order.objects.filter(status=S.REFUNDED)
    assert refunded.exists()
    for order in refunded:
        refund = Refund.objects.get(payment__order=order)
        assert refund.amount == order.total == order.refunded_total
    assert Refund.objects.count() == refunded.count()


@pytest.mark.django_db
def test_the_sales_figures_see_the_seeded_sales(demo_catalog):
    seed_orders("--orders", "200")
    totals = sales_totals()
    sold = Order.objects.filter(status__in=SALE_STATUSES)
    assert totals["orders"] == sold.count() > 0
    # SQLite sums decimals as floats: compared in cents.
    assert totals["revenue"] == sold.aggregate(s=Sum("total"))["s"].quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_running_again_adds_only_what_is_missing_and_changes_no_stock(demo_catalog):
    from catalog.models import Product

    stock = dict(Product.objects.values_list("pk", "stock_quantity"))
    seed_orders("--orders", "50")
    first = set(Order.objects.values_list("number", "total"))
    output = seed_orders("--orders", "50")
    assert "Demo orders: 50 (0 new)." in output
    assert set(Order.objects.values_list("number", "total")) == first
    seed_orders("--orders", "80")
    assert Order.objects.count() == 80
    assert first <= set(Order.objects.values_list("number", "total"))
    assert OrderStatusChange.objects.filter(order__number="DEMO-0000080").exists()
    assert dict(Product.objects.values_list("pk", "stock_quantity")) == stock


@pytest.mark.django_db
@pytest.mark.parametrize("args", [("--orders", "-1"), ("--days", "0")])
def test_bad_options_are_refused(demo_catalog, args):
    with pytest.raises(CommandError, match=args[0]):
        seed_orders(*args)
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_without_the_demo_catalog_it_says_to_seed_first():
    with pytest.raises(CommandError, match="seed_demo"):
        seed_orders("--orders", "5")


def test_help_documents_the_options():
    from django.core.management import load_command_class

    command = load_command_class("payments", "seed_orders")
    text = command.create_parser("manage.py", "seed_orders").format_help()
    assert "--orders N" in text and "--days D" in text and "20000" in text
    assert "payments" in command.help and "Idempotent" in command.help
