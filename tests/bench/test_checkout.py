"""Checkout under load (bench/checkout.py): the numbers it reports, the oversell check,
and the driver itself against the real API on a live server."""

import threading
from datetime import UTC, datetime

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.services import address_create
from bench.checkout import (
    STEPS,
    Buyer,
    CheckoutStats,
    checkout_load,
    is_sold_out,
    percentile,
    stock_problems,
)
from catalog.models import ProductVariant
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentStatus
from tests.factories import ProductFactory, ShopFactory, UserFactory, address_data, verify_email


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0, 3.0, 5.0], 0.5) == 5.0
    assert percentile([], 0.95) == 0.0


def test_stock_that_fell_by_what_the_orders_took_is_fine():
    assert stock_problems(before={1: 10, 2: 4}, after={1: 7, 2: 4}, sold={1: 3}) == []


def test_negative_stock_and_unexplained_changes_are_reported():
    problems = stock_problems(
        before={1: 4, 2: 10, 3: 5, 4: 1},
        after={1: -1, 2: 9, 3: 5},
        sold={1: 5, 2: 2},
    )
    assert problems == [
        "variant 1: stock -1 is negative (oversold)",
        "variant 2: stock fell by 1 but orders took 2",
        "variant 4: missing after the run",
    ]
    # Taken beyond the orders' quantities (oversold without going negative) shows too.
    assert stock_problems(before={5: 3}, after={5: 0}, sold={5: 2}) == [
        "variant 5: stock fell by 3 but orders took 2"
    ]


def test_only_an_insufficient_stock_conflict_counts_as_sold_out():
    assert is_sold_out(409, '{"code": "insufficient_stock", "available": 0}')
    assert not is_sold_out(409, '{"code": "order_not_payable"}')
    assert not is_sold_out(500, "insufficient_stock")


def test_stats_of_several_threads_add_up():
    first, second = CheckoutStats(), CheckoutStats()
    first.flows_ms += [100.0, 300.0]
    first.requests = 8
    first.errors["checkout 500"] += 1
    first.error_samples.append("checkout: HTTP 500")
    second.flows_ms += [200.0]
    second.steps_ms["add"] += [5.0]
    second.steps_ms["checkout"] += [float(n) for n in range(1, 20)]
    second.requests = 5
    second.sold_out = 1
    second.errors["checkout 500"] += 2
    total = CheckoutStats()
    total.merge(first)
    total.merge(second)
    summary = total.summary(duration_s=2.0)
    assert summary["checkouts"] == 3
    assert summary["checkouts_per_s"] == 1.5
    assert summary["requests_per_s"] == 6.5
    assert (summary["p50_ms"], summary["p99_ms"]) == (200.0, 300.0)
    assert summary["errors"] == {"checkout 500": 3}
    assert summary["sold_out"] == 1
    assert summary["steps_p95_ms"] == {"add": 5.0, "checkout": 19.0, "pay_create": 0.0,
                                       "pay_confirm": 0.0}  # fmt: skip
    assert summary["request_p95_ms"] == 18.0  # of 1..19 and 5: the 19th of 20
    assert summary["error_samples"] == ["checkout: HTTP 500"]


@pytest.fixture
def raised_throttles(throttle_rates):
    throttle_rates(user="100000/min", checkout="100000/min", anon="100000/min")


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_driver_checks_out_and_pays_over_the_api_without_overselling(
    live_server, raised_throttles
):
    from bench.run import stock_sold

    shop = ShopFactory()
    plenty = ProductFactory(shop=shop, stock_quantity=1000, price="12.50").variants.get()
    # One size of a shirt is scarce; its other size is not bought.
    shirt = ProductFactory(
        shop=shop, stock_quantity=2, price="30.00", options=[("Size", ["S", "M"])]
    )
    scarce, untouched = shirt.variants.order_by("position")
    buyers = []
    for _ in range(4):
        user = verify_email(UserFactory())
        address = address_create(user=user, data=address_data())
        buyers.append(Buyer(token=str(AccessToken.for_user(user)), address_id=address.pk))
    before = {plenty.pk: 1000, scarce.pk: 2}
    since = datetime.now(UTC)
    # Threads of the process before the load (live servers, browsers of earlier tests in
    # this worker): the driver's buyer threads come on top and must be gone after it.
    threads_before = threading.active_count()

    stats, elapsed = checkout_load(
        base_url=live_server.url,
        buyers=buyers,
        products=[plenty.pk],
        scarce=[scarce.pk],
        connections=2,
        duration_s=2.5,
        scarce_share=0.5,
    )

    summary = stats.summary(elapsed)
    assert summary["errors"] == {}, summary["error_samples"]
    assert summary["checkouts"] >= 2
    assert summary["requests"] >= 4 * summary["checkouts"]
    assert set(summary["steps_p95_ms"]) == set(STEPS)
    assert all(value > 0 for value in summary["steps_p95_ms"].values())
    assert summary["p95_ms"] >= summary["p50_ms"] > 0
    # Every completed checkout is a paid order with a succeeded payment.
    paid = Order.objects.filter(status=OrderStatus.PAID)
    assert paid.count() == summary["checkouts"]
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == paid.count()
    # Stock fell by exactly what the orders took; the scarce product never went below 0.
    after = dict(ProductVariant.objects.values_list("pk", "stock_quantity"))
    assert stock_problems(before=before, after=after, sold=stock_sold(list(before), since)) == []
    assert after[scarce.pk] >= 0
    assert 1000 - after[plenty.pk] + 2 - after[scarce.pk] == summary["checkouts"]
    assert after[untouched.pk] == 2
    assert threading.active_count() <= threads_before  # the buyer threads are gone
