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
    Journey,
    ProcessCpu,
    RateStep,
    capacity_at_slo,
    checkout_load,
    checkout_open_loop,
    is_sold_out,
    percentile,
    postmaster_pid,
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
    # this worker): the driver's buyer threads come on top and must be gone after it. (The
    # server's notifications push from a loop kept for the process: notifications.realtime.)
    threads_before = set(threading.enumerate())

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
    assert set(summary["steps_p95_ms"]) == set(STEPS) - {"voucher"}  # no code entered
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
    left = set(threading.enumerate()) - threads_before
    assert {thread.name for thread in left} <= {"notifications-push"}  # the buyers' are gone


def test_a_journey_picks_scarce_variants_and_the_code_by_their_shares():
    import random

    journey = Journey(products=[1, 2], scarce=[9], scarce_share=0.25, voucher="X",
                      voucher_share=0.1)  # fmt: skip
    picks = [journey.pick(random.Random(n)) for n in range(4000)]
    scarce = sum(1 for variant, _code in picks if variant == 9) / len(picks)
    codes = sum(1 for _variant, code in picks if code) / len(picks)
    assert 0.2 < scarce < 0.3 and 0.07 < codes < 0.13
    assert {variant for variant, _code in picks} == {1, 2, 9}
    # No code to enter: never entered.
    assert not any(code for _v, code in (Journey(products=[1]).pick(random.Random(n))
                                         for n in range(200)))  # fmt: skip


def step(rate, p95, errors=None, problems=(), checkouts=10, cpu=1.0):
    summary = {"checkouts": checkouts, "p95_ms": p95, "errors": errors or {}}
    return RateStep(rate=rate, summary=summary, cpu_s={"gunicorn": cpu}, problems=list(problems),
                    slo_ms=300)  # fmt: skip


def test_capacity_is_the_highest_rate_within_the_objective_before_the_first_miss():
    results = {10: step(10, 80), 20: step(20, 150), 40: step(40, 310), 80: step(80, 90)}
    ran = []

    def run(rate):
        ran.append(rate)
        return results[rate]

    best, steps = capacity_at_slo(run, [40, 10, 80, 20])
    assert ran == [10, 20, 40]  # in order, and stopped at the first miss
    assert best.rate == 20 and [s.rate for s in steps] == [10, 20, 40]
    assert best.cpu_ms_per_checkout == 100.0  # 1 s of CPU over 10 checkouts
    # The load generator's CPU is shown beside it, not in it.
    driven = step(5, 9, checkouts=4, cpu=0.2)
    driven.driver_cpu_s = 0.1
    assert driven.cpu_ms_per_checkout == 50.0 and driven.driver_cpu_ms_per_checkout == 25.0
    assert driven.as_dict()["driver_cpu_ms_per_checkout"] == 25.0
    # An error, oversold stock or nothing done misses it whatever the latency.
    assert not step(5, 10, errors={"checkout 500": 1}).within_slo
    assert not step(5, 10, problems=["variant 1: stock -1 is negative (oversold)"]).within_slo
    assert (
        not step(5, 10, checkouts=0).within_slo
        and step(5, 10, checkouts=0).cpu_ms_per_checkout is None
    )
    assert capacity_at_slo(lambda rate: step(rate, 999), [1, 2])[0] is None


def test_process_cpu_counts_children_that_ended_during_the_reading(tmp_path):
    import os
    import subprocess
    import sys

    cpu = ProcessCpu({"this": os.getpid()})
    before = cpu.read()["this"]
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)  # reaped: in our cutime
    spent = cpu.read()["this"] - before
    assert 0.3 <= spent < 5
    assert ProcessCpu({"gone": 2**22 + 7}).read() == {"gone": 0.0}
    (tmp_path / "postmaster.pid").write_text("4242\n/var/lib/postgresql\n")
    assert postmaster_pid(str(tmp_path)) == 4242
    assert postmaster_pid(str(tmp_path / "missing")) is None


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_open_loop_starts_buyers_on_schedule_with_the_whole_journey(
    live_server, raised_throttles
):
    from decimal import Decimal

    from orders.models import Shipment
    from promotions.services import promotion_create

    shop = ShopFactory()
    variant = ProductFactory(shop=shop, stock_quantity=1000, price="40.00").variants.get()
    from shipping.services import shipping_method_create

    zone = shop.shipping_zones.get()  # a new shop's one zone: everywhere, free standard
    dearest = shipping_method_create(
        zone=zone, data={"name": "Express", "price": "9.00", "min_days": 1, "max_days": 2},
        by=None,
    )  # fmt: skip
    promotion_create(shop=None, by=None, data={"name": "Ten", "kind": "code",
                     "reward": "percentage", "value": 10, "code": "TEN"})  # fmt: skip
    buyers = []
    for _ in range(3):
        user = verify_email(UserFactory())
        address = address_create(user=user, data=address_data())
        buyers.append(Buyer(token=str(AccessToken.for_user(user)), address_id=address.pk))
    journey = Journey(products=[variant.pk], shipping={variant.pk: (shop.pk, dearest.pk)},
                      voucher="TEN", voucher_share=1.0)  # fmt: skip

    stats, elapsed = checkout_open_loop(
        base_url=live_server.url, buyers=buyers, journey=journey, rate=4, duration_s=1.5
    )

    summary = stats.summary(elapsed)
    assert summary["errors"] == {}, summary["error_samples"]
    assert summary["checkouts"] == 6  # every arrival of 1.5 s at 4 a second
    assert elapsed >= 1.25  # the last arrival came on schedule, not at once
    assert set(summary["steps_p95_ms"]) == set(STEPS)  # the code entered each time
    paid = Order.objects.filter(status=OrderStatus.PAID)
    assert paid.count() == 6
    assert all(order.discount_total > 0 for order in paid)
    assert set(Shipment.objects.values_list("method_id", flat=True)) == {dearest.pk}
    assert Decimal(summary["p50_ms"]) > 0
