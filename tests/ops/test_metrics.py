"""Metrics (issue 22): `/metrics` only for an internal address or with the token, and
the counters of several gunicorn workers adding up in one scrape (prometheus-client's
multiprocess mode, config/gunicorn.py)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-t0ken-for-the-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def total(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    found = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{key}="{wanted}"' in head for key, wanted in labels.items()):
            found += float(value)
    return found


@pytest.fixture
def gunicorn(tmp_path, _collected_static):
    folder = tmp_path / "prometheus"
    log = tmp_path / "gunicorn.log"
    port = free_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "METRICS_TOKEN": TOKEN,
        # This test's own address is "outside".
        "METRICS_INTERNAL_NETWORKS": "10.255.255.0/24",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(_collected_static),  # the site's own 404 page names its styles
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.py",
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),  # a file: a pipe nobody reads would stop the server when full
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/healthz/", timeout=5)
            break
        except requests.RequestException:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])
            time.sleep(0.2)
    yield base, folder
    server.terminate()
    server.wait(timeout=30)


def test_the_counters_of_every_gunicorn_worker_add_up_in_one_scrape(gunicorn):
    base, folder = gunicorn
    before = requests.get(
        base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    healthy_before = total(before.text, "shop_http_requests_total", route="healthz/?")

    def hit(index: int) -> int:
        method = requests.get if index % 4 else requests.head
        return method(base + "/healthz/", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(hit, range(400)))
    assert statuses.count(200) == 400

    scrape = requests.get(
        base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert scrape.status_code == 200
    assert scrape.headers["Content-Type"].startswith("text/plain")
    text = scrape.text
    served = total(text, "shop_http_requests_total", route="healthz/?", status="200")
    assert served - healthy_before == 400
    assert total(text, "shop_http_requests_total", route="healthz/?", method="HEAD") == 100
    assert total(text, "shop_http_request_duration_seconds_count", route="healthz/?") == served
    assert total(text, "shop_http_request_db_queries_count", route="healthz/?") == served
    # Both workers answered some: each writes its own files, and the scrape adds them.
    pids = {re.search(r"_(\d+)\.db$", path.name).group(1) for path in folder.glob("*.db")}
    assert len(pids) >= 2, pids


def test_metrics_answer_nobody_outside_without_the_token(gunicorn):
    base, _folder = gunicorn
    assert requests.get(base + "/metrics", timeout=10).status_code == 404
    wrong = requests.get(base + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert requests.get(
        base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).ok


@pytest.mark.django_db
def test_an_internal_address_reads_them_without_a_token(settings, client):
    settings.METRICS_INTERNAL_NETWORKS = [__import__("ipaddress").ip_network("127.0.0.0/8")]
    settings.METRICS_TOKEN = ""
    client.get("/healthz/")
    answer = client.get("/metrics/", REMOTE_ADDR="127.0.0.1")
    assert answer.status_code == 200
    assert total(answer.content.decode(), "shop_http_requests_total", route="healthz/?") >= 1
    # Read when scraped: the readiness checks (the alert on them needs no prober)...
    assert 'shop_ready{check="database"} 1.0' in answer.content.decode()
    assert 'shop_ready{check="cache"} 1.0' in answer.content.decode()
    if settings.CELERY_BROKER_URL.startswith("redis"):  # ...and the queues' backlog
        for queue in ("payments", "emails", "media", "default"):
            assert f'shop_celery_queue_length{{queue="{queue}"}}' in answer.content.decode()
    assert Client().get("/metrics/", REMOTE_ADDR="192.0.2.7").status_code == 404


def value(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db(transaction=True)
def test_the_business_is_counted_where_it_happens():
    from datetime import timedelta

    from django.utils import timezone

    from cart.exceptions import InsufficientStock
    from cart.services import cart_add_item, cart_get_for_user
    from orders.services import order_place, orders_expire_reservations
    from payments.exceptions import PaymentFailed
    from payments.services.payments import payment_confirm, payment_create
    from payments.services.refunds import payment_refund
    from tests.factories import ProductFactory, UserFactory, address_data, verify_email

    before = {
        "placed": value("shop_orders_placed_total"),
        "conflicts": value("shop_checkout_conflicts_total"),
        "paid": value("shop_payments_total", provider="dummy", result="succeeded"),
        "failed": value("shop_payments_total", provider="dummy", result="failed"),
        "refunds": value("shop_refunds_total"),
        "expired": value("shop_reservations_expired_total"),
    }
    buyer = verify_email(UserFactory())
    lamp = ProductFactory(stock_quantity=3)

    def checkout(quantity: int):
        cart = cart_get_for_user(user=buyer)
        cart_add_item(cart=cart, product=lamp, quantity=quantity)
        return order_place(user=buyer, cart=cart, shipping_address=address_data())

    order = checkout(1)
    payment, _ = payment_create(user=buyer, order=order)
    with pytest.raises(PaymentFailed):
        payment_confirm(payment=payment, payment_method="pm_card_chargeDeclined")
    payment, _ = payment_create(user=buyer, order=order)
    payment_confirm(payment=payment, payment_method="pm_card_visa")
    payment_refund(payment=payment, amount=None)

    lamp.refresh_from_db()
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=lamp, quantity=2)
    type(lamp).objects.filter(pk=lamp.pk).update(stock_quantity=0)
    lamp.variants.update(stock_quantity=0)
    with pytest.raises(InsufficientStock):
        order_place(user=buyer, cart=cart, shipping_address=address_data())

    type(lamp).objects.filter(pk=lamp.pk).update(stock_quantity=5)
    lamp.variants.update(stock_quantity=5)
    late = checkout(1)
    late.__class__.objects.filter(pk=late.pk).update(
        reserved_until=timezone.now() - timedelta(minutes=1)
    )
    assert orders_expire_reservations() == 1

    assert value("shop_orders_placed_total") - before["placed"] == 2
    assert value("shop_checkout_conflicts_total") - before["conflicts"] == 1
    assert value("shop_payments_total", provider="dummy", result="failed") - before["failed"] == 1
    assert value("shop_payments_total", provider="dummy", result="succeeded") - before["paid"] == 1
    assert value("shop_refunds_total") - before["refunds"] == 1
    assert value("shop_reservations_expired_total") - before["expired"] == 1


@pytest.mark.django_db
def test_tasks_are_counted_and_timed_by_name_and_end(settings):
    from recommendations.tasks import update_bought_together

    name = "recommendations.tasks.update_bought_together"
    done = value("shop_celery_tasks_total", task=name, state="success")
    timed = value("shop_celery_task_duration_seconds_count", task=name)
    update_bought_together.delay()
    assert value("shop_celery_tasks_total", task=name, state="success") == done + 1
    assert value("shop_celery_task_duration_seconds_count", task=name) == timed + 1


def test_cache_reads_are_counted_as_hits_and_misses(settings):
    from django.core.cache import cache

    # The suite runs with Redis (make test, make test-sqlite): the cache is core.cache's.
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.RedisCache"
    hits, misses = (
        value("shop_cache_requests_total", result="hit"),
        value("shop_cache_requests_total", result="miss"),
    )
    cache.set("metrics-probe", 1)
    cache.get("metrics-probe")
    cache.get("metrics-nothing")
    cache.get_many(["metrics-probe", "metrics-nothing", "metrics-none"])
    assert value("shop_cache_requests_total", result="hit") == hits + 2
    assert value("shop_cache_requests_total", result="miss") == misses + 3
