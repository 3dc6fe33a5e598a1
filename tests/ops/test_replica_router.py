"""The replica router's decisions, one rule at a time (tests/ops/test_replicas.py runs
them against a real streaming replica)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from catalog.models import Product
from core import generations, replicas
from core.replicas import ReplicaMiddleware, ReplicaRouter, replica_reads, replica_reads_in
from orders.models import Order
from tests.factories import UserFactory

router = ReplicaRouter()


@pytest.fixture
def replica(settings, monkeypatch):
    """One replica, `replica1`, healthy unless a test says otherwise."""
    settings.DATABASE_REPLICAS = ["replica1"]
    settings.REPLICA_MAX_LAG_S = 5
    state = {"usable": True}
    monkeypatch.setattr(replicas.health, "usable", lambda alias: state["usable"])
    cache.delete(generations.BUMPED_AT)
    with replicas.scope():
        yield state


def test_without_replicas_everything_reads_from_the_primary(settings):
    settings.DATABASE_REPLICAS = []
    with replicas.scope():
        assert router.db_for_read(Product) is None
        assert router.db_for_write(Product) == "default"


def test_catalog_reads_go_to_the_replica_other_reads_to_the_primary(replica):
    assert router.db_for_read(Product) == "replica1"
    # Named: not left to Django, which would follow an instance read on a replica.
    assert router.db_for_read(Order) == "default"
    assert router.db_for_read(Order, instance=Product(pk=1)) == "default"


def test_reports_read_everything_from_the_replica(replica):
    with replica_reads():
        assert router.db_for_read(Order) == "replica1"
    assert router.db_for_read(Order) == "default"

    @replica_reads_in
    def report():
        return router.db_for_read(Order)

    assert report() == "replica1"


def test_after_a_write_this_request_reads_from_the_primary(replica):
    assert router.db_for_write(Order) == "default"
    assert router.db_for_read(Product) == "default"
    with replica_reads():
        assert router.db_for_read(Order) == "default"


@pytest.mark.django_db
def test_inside_a_transaction_reads_come_from_the_primary(replica):
    with transaction.atomic():  # (the test's own transaction is one too)
        assert router.db_for_read(Product) == "default"


def test_a_replica_that_is_down_or_behind_is_skipped(replica):
    replica["usable"] = False
    assert router.db_for_read(Product) == "default"


def test_right_after_cached_data_changed_reads_come_from_the_primary(replica, settings):
    settings.REPLICA_CHECK_SECONDS = 2
    # A replica in use may be MAX_LAG + CHECK seconds behind: 8 s here with the margin.
    cache.set(generations.BUMPED_AT, time.time() - 7)
    with replicas.scope():
        assert router.db_for_read(Product) == "default"
    cache.set(generations.BUMPED_AT, time.time() - 8.5)
    with replicas.scope():
        assert router.db_for_read(Product) == "replica1"


def test_a_generation_bump_records_when_with_replicas(replica, settings):
    generations.bump(["orders:gen:user:1"])  # not data a replica serves
    assert cache.get(generations.BUMPED_AT) is None
    generations.bump(["catalog:test-generation"])
    assert time.time() - cache.get(generations.BUMPED_AT) < 5
    settings.DATABASE_REPLICAS = []
    cache.delete(generations.BUMPED_AT)
    generations.bump(["catalog:test-generation"])
    assert cache.get(generations.BUMPED_AT) is None


@pytest.mark.django_db(transaction=True)  # no test transaction: reads may leave the primary
def test_a_browser_or_person_who_just_wrote_reads_from_the_primary_for_a_while(replica, settings):
    factory = RequestFactory()
    buyer = UserFactory()

    def writes(request):
        router.db_for_write(Order)
        return HttpResponse("ok")

    def reads(request):
        return HttpResponse(router.db_for_read(Product))

    request = factory.post("/")
    request.user = buyer
    response = ReplicaMiddleware(writes)(request)
    until = float(response.cookies[replicas.STICKY_COOKIE].value)
    # the cookie keeps milliseconds, rounded to the nearest: up to half a millisecond later
    assert 0 < until - time.time() <= settings.REPLICA_STICKY_SECONDS + 0.001

    # The same browser (the cookie)...
    same_browser = factory.get("/")
    same_browser.COOKIES[replicas.STICKY_COOKIE] = str(until)
    assert ReplicaMiddleware(reads)(same_browser).content == b"default"
    # ...the same person from another device (an API client: the cache)...
    other_device = factory.get("/")
    other_device.user = buyer
    assert ReplicaMiddleware(reads)(other_device).content == b"default"
    # ...and not somebody else, nor a cookie that ran out.
    stranger = factory.get("/")
    stranger.user = UserFactory()
    assert ReplicaMiddleware(reads)(stranger).content == b"replica1"
    expired = factory.get("/")
    expired.COOKIES[replicas.STICKY_COOKIE] = str(time.time() - 1)
    assert ReplicaMiddleware(reads)(expired).content == b"replica1"
    garbled = factory.get("/")
    garbled.COOKIES[replicas.STICKY_COOKIE] = "soon"
    assert ReplicaMiddleware(reads)(garbled).content == b"replica1"


def test_a_get_whose_replica_fails_is_served_again_from_the_primary(replica, monkeypatch):
    marked = []
    monkeypatch.setattr(replicas.health, "mark_down", marked.append)
    calls = []

    def view(request):
        alias = router.db_for_read(Product)
        calls.append(alias)
        if alias == "replica1":
            raise OperationalError("server closed the connection unexpectedly")
        return HttpResponse(alias)

    middleware = ReplicaMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    with replicas.scope(request):
        middleware.process_view(request, view, (), {})
        with pytest.raises(OperationalError) as raised:
            view(request)
        response = middleware.process_exception(request, raised.value)
    assert response.content == b"default"
    assert calls == ["replica1", "default"] and marked == ["replica1"]

    # The primary's own error (the replica answers): not retried, nothing marked down.
    monkeypatch.setattr(replicas, "_answers", lambda alias: True)
    again = RequestFactory().get("/")
    with replicas.scope(again):
        router.db_for_read(Product)
        assert middleware.process_exception(again, OperationalError("deadlock")) is None
    assert marked == ["replica1"]
    monkeypatch.setattr(replicas, "_answers", lambda alias: False)
    # A GET that wrote is not run twice either.
    wrote = RequestFactory().get("/")
    with replicas.scope(wrote):
        router.db_for_read(Product)
        router.db_for_write(Order)
        assert middleware.process_exception(wrote, OperationalError("gone")) is None

    # A POST is never run twice, nor is another error handled.
    post = RequestFactory().post("/")
    with replicas.scope(post):
        router.db_for_read(Product)
        assert middleware.process_exception(post, OperationalError("gone")) is None
        assert middleware.process_exception(post, ValueError("other")) is None


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_health_check_refuses_a_database_that_is_not_a_replica(settings):
    """The primary itself, named as a replica by mistake, is not in recovery: not used."""
    from django.db import connections

    connections.settings["replica_check"] = connection.settings_dict
    try:
        replicas.health.forget()
        assert replicas.health.usable("replica_check") is False
        # Asked again within REPLICA_CHECK_SECONDS: the answer is remembered.
        assert replicas.health.checked["replica_check"][1] is False
    finally:
        connections["replica_check"].close()
        del connections.settings["replica_check"]
        replicas.health.forget()


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "catalog") is True
    assert router.allow_migrate("replica1", "catalog") is False
    assert router.allow_relation(object(), object()) is True


def test_tasks_read_from_the_primary(replica):
    """A task was queued by a change it must see: its reads go to the primary."""
    from celery import signals

    # (config.celery connected core.replicas to these signals.)
    signals.task_prerun.send(sender=None, task_id="t-1", task=None)
    try:
        assert router.db_for_read(Product) == "default"
    finally:
        signals.task_postrun.send(sender=None, task_id="t-1", task=None)
    assert router.db_for_read(Product) == "replica1"


def test_sticky_windows_shorter_than_a_replicas_possible_lag_stop_the_start():
    import os
    import subprocess
    import sys

    answer = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",
            "REPLICA_MAX_LAG_S": "5",
            "REPLICA_CHECK_SECONDS": "5",
            "REPLICA_STICKY_SECONDS": "5",
        },
        capture_output=True,
        text=True,
    )
    assert answer.returncode != 0 and "REPLICA_STICKY_SECONDS (5) must be at least" in answer.stderr
