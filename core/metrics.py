"""Metrics for Prometheus: what the processes count, and `/metrics` to read them.

prometheus-client's multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set (compose and
deploy do; config/gunicorn.py empties the folder at start and marks workers that end),
each process writes its counters to files there and a scrape adds them up across
gunicorn's workers (and the Celery workers, when they share the folder). Without it, the
process's own registry (the quickstart: one process).

The names (deploy/prometheus/alerts.yml and the Grafana dashboard are built on them):
- shop_http_requests_total{route, method, status}; shop_http_request_duration_seconds
  {route, method}; shop_http_request_db_queries{route}: per request, by the route's
  pattern (not the address, so that ids do not make new series);
- shop_cache_requests_total{result}: hits and misses of the cache's reads;
- shop_celery_tasks_total{task, state}, shop_celery_task_duration_seconds{task},
  shop_celery_queue_length{queue} (read at scrape time);
- the business: shop_orders_placed_total, shop_checkout_conflicts_total,
  shop_payments_total{provider, result}, shop_refunds_total, shop_webhook_failures_total,
  shop_reservations_expired_total.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import time
from contextlib import ExitStack

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

# Counters' *_created series: a timestamp per label set that no alert or panel uses.
disable_created_metrics()

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100)

REQUESTS = Counter("shop_http_requests", "HTTP requests answered.", ["route", "method", "status"])
LATENCY = Histogram(
    "shop_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
QUERIES = Histogram(
    "shop_http_request_db_queries",
    "Database queries made to answer an HTTP request.",
    ["route"],
    buckets=QUERY_BUCKETS,
)
CACHE = Counter("shop_cache_requests", "Cache reads, by result.", ["result"])
TASKS = Counter("shop_celery_tasks", "Celery tasks run, by how they ended.", ["task", "state"])
TASK_DURATION = Histogram(
    "shop_celery_task_duration_seconds",
    "Time a Celery task ran.",
    ["task"],
    buckets=(*LATENCY_BUCKETS, 30, 60, 300),
)
ORDERS_PLACED = Counter("shop_orders_placed", "Orders placed (checkouts that made an order).")
CHECKOUT_CONFLICTS = Counter(
    "shop_checkout_conflicts", "Checkouts refused with 409 (stock, prices, holds)."
)
PAYMENTS = Counter("shop_payments", "Payments that ended, by result.", ["provider", "result"])
REFUNDS = Counter("shop_refunds", "Refunds made.")
WEBHOOK_FAILURES = Counter("shop_webhook_failures", "Provider webhooks that could not be applied.")
RESERVATIONS_EXPIRED = Counter(
    "shop_reservations_expired", "Unpaid orders cancelled when their reservation ran out."
)


def counted_after_commit(counter, amount: float = 1) -> None:
    """Count once the transaction commits (a rolled-back change counts nothing)."""
    from django.db import transaction

    if amount:
        transaction.on_commit(lambda: counter.inc(amount))


def counted_checkout(place):
    """Decorates the checkout service: an order placed, or a 409 refusal, counted."""

    @functools.wraps(place)
    def counted(*args, **kwargs):
        try:
            order = place(*args, **kwargs)
        except Exception as error:
            if getattr(error, "status_code", None) == 409:
                CHECKOUT_CONFLICTS.inc()
            raise
        counted_after_commit(ORDERS_PLACED)
        return order

    return counted


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def route_of(request: HttpRequest) -> str:
    """The route's pattern ("api/v1/orders/<uuid:pk>/", "healthz/?"), or "unmatched"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    route = match.route or match.view_name or "unmatched"
    return route.replace("^", "").replace("$", "")


class MetricsMiddleware:
    """Counts every request: its route, status, time and database queries."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counted = [0]

        def count(execute, sql, params, many, context):
            counted[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with ExitStack() as stack:
            # The primary and every read replica (core.replicas).
            for alias in ("default", *settings.DATABASE_REPLICAS):
                stack.enter_context(connections[alias].execute_wrapper(count))
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route, request.method).observe(elapsed)
        QUERIES.labels(route).observe(counted[0])
        return response


class QueueLengths:
    """The Celery queues' backlog, read from the broker when scraped."""

    def collect(self):
        gauge = GaugeMetricFamily(
            "shop_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        broker = settings.CELERY_BROKER_URL
        if broker.startswith("redis"):
            try:
                import redis

                client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1)
                for queue in settings.METRICS_QUEUES:
                    gauge.add_metric([queue], client.llen(queue))
            except Exception:  # the broker is down: readiness says so; no figure here
                logger.warning("Could not read the Celery queues' lengths", exc_info=True)
        yield gauge


def _allowed(request: HttpRequest) -> bool:
    from core.security.throttles import client_ip

    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given == f"Bearer {token}":
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_INTERNAL_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """`/metrics`: for an internal address or with `Authorization: Bearer METRICS_TOKEN`;
    anyone else gets 404 (or 401 for a wrong token), as if there were nothing here."""
    if not _allowed(request):
        if request.headers.get("Authorization"):
            return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
        raise Http404
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_SCRAPED)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# What is read when /metrics is scraped rather than counted along: the queues' backlog,
# and what the apps above register (config.health: the readiness checks).
_SCRAPED = CollectorRegistry()
_SCRAPED.register(QueueLengths())


def register_scrape_collector(collector) -> None:
    try:
        _SCRAPED.register(collector)
    except ValueError:  # registered already (its module imported again): keep the first
        logger.debug("Collector %r registered already", collector)


# --- Celery -----------------------------------------------------------------------------
_started: dict[str, float] = {}


def _task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _task_ended(task_id=None, task=None, state=None, **kwargs) -> None:
    name = getattr(task, "name", "unknown")
    TASKS.labels(name, (state or "unknown").lower()).inc()
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        TASK_DURATION.labels(name).observe(time.perf_counter() - started)


def connect_celery() -> None:
    """Count each task's end (success, failure, retry) and time it (config.celery)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="metrics-task-started")
    task_postrun.connect(_task_ended, weak=False, dispatch_uid="metrics-task-ended")
