"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

from core import metrics

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; touches nothing else."""
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    cache.set("readyz:probe", "1", timeout=10)
    if cache.get("readyz:probe") != "1":
        raise RuntimeError("value written was not read back")


def check_broker() -> None:
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return  # no broker configured: tasks run in-process
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS
    ) as broker_connection:
        broker_connection.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks() -> dict[str, str]:
    """Each readiness check: "ok", or "unavailable: <the error's type>"."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # every failure, whatever its type, means "not ready"
            logger.warning("readiness check %s failed: %r", name, exc)
            results[name] = f"unavailable: {type(exc).__name__}"
        else:
            results[name] = "ok"
    return results


class ReadinessCollector:
    """shop_ready{check}: 1 when the check passes, read when /metrics is scraped (the
    alert on a failing readiness needs no prober)."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        gauge = GaugeMetricFamily(
            "shop_ready", "Readiness checks: 1 passing, 0 failing.", labels=["check"]
        )
        for name, result in run_checks().items():
            gauge.add_metric([name], 1.0 if result == "ok" else 0.0)
        yield gauge


metrics.register_scrape_collector(ReadinessCollector())


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the database, the cache and the broker answer."""
    results = run_checks()
    failed = [name for name, result in results.items() if result != "ok"]
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "code": "unavailable",
                "detail": f"Not ready: {', '.join(failed)} unavailable.",
                "checks": results,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": results})
