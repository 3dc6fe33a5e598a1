"""Structured logs: a request id on every line (and in the response), JSON in production,
plain text in development, the task id in workers; Sentry when SENTRY_DSN is set."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from core.logging import (
    REQUEST_ID_HEADER,
    ContextFilter,
    JsonFormatter,
    ReadableFormatter,
    request_id_get,
)
from tests.ops.urls_logging import log_a_line

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["time", "level", "logger", "message", "request_id", "task_id"]


@pytest.fixture
def log_lines():
    """`log_lines(name)`: the JSON lines written to logger `name` during the test, through
    the formatter and filter the settings use."""
    attached = []

    def capture(name: str):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(ContextFilter())
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        attached.append((logger, handler, logger.level))
        logger.setLevel(logging.INFO)
        return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]

    yield capture
    for logger, handler, level in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- The request id -----------------------------------------------------------------------


def test_every_response_carries_a_new_request_id(client):
    first = client.get("/healthz/")[REQUEST_ID_HEADER]
    second = client.get("/healthz/")[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second
    assert request_id_get() is None  # nothing left behind once the response is closed


@pytest.mark.parametrize(
    "given",
    ["5f0c9a1e-3b7d-4e2a-9c1f-0a2b3c4d5e6f", "req_42.web-1:7", "A" * 128],
)
def test_a_sane_request_id_from_the_proxy_is_kept(client, given):
    assert client.get("/healthz/", HTTP_X_REQUEST_ID=given)[REQUEST_ID_HEADER] == given


@pytest.mark.parametrize(
    "given",
    ["", "two words", "line\nbreak", "<script>", "A" * 129, "-leading-dash", "ünïcode", '"x"'],
)
def test_an_insane_request_id_is_replaced(client, given):
    answered = client.get("/healthz/", HTTP_X_REQUEST_ID=given)[REQUEST_ID_HEADER]
    assert answered != given and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_the_middleware_comes_right_after_the_security_middleware():
    position = settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
    assert settings.MIDDLEWARE[position + 1] == "core.logging.RequestIdMiddleware"


# --- Lines written during a request ---------------------------------------------------------


@pytest.mark.urls("tests.ops.urls_logging")
def test_a_line_written_in_a_request_is_json_with_its_request_id(client, log_lines):
    lines = log_lines("tests.ops.logging")
    response = client.get("/logs/", HTTP_X_REQUEST_ID="trace-abc-123")

    [line] = lines()
    assert list(line)[:6] == KEYS
    assert line["message"] == "handling /logs/"
    assert line["level"] == "INFO" and line["logger"] == "tests.ops.logging"
    assert line["request_id"] == "trace-abc-123" == response[REQUEST_ID_HEADER]
    assert line["task_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


@pytest.mark.urls("tests.ops.urls_logging")
def test_djangos_own_error_lines_carry_the_request_id(client, log_lines):
    lines = log_lines("django.request")
    client.raise_request_exception = False

    not_found = client.get("/missing/")
    failed = client.get("/fails/")

    by_status = {line["status_code"]: line for line in lines()}
    assert by_status[404]["request_id"] == not_found[REQUEST_ID_HEADER]
    assert by_status[404]["http_request"] == "GET /missing/"
    assert by_status[500]["request_id"] == failed[REQUEST_ID_HEADER]
    assert by_status[500]["level"] == "ERROR"
    assert "RuntimeError: the view broke" in by_status[500]["exc_info"]


def test_lines_outside_requests_have_no_request_id(log_lines):
    lines = log_lines("tests.ops.logging")
    logging.getLogger("tests.ops.logging").warning("alone", extra={"order": "A-1"})
    [line] = lines()
    assert line["request_id"] is None and line["order"] == "A-1"


def test_a_tasks_lines_carry_its_task_id(log_lines):
    lines = log_lines("tests.ops.logging")
    result = log_a_line.delay("eager")
    [line] = lines()
    assert line["task_id"] == result.id
    assert line["message"] == "from the task: eager"


def test_celerys_lines_leave_the_tasks_arguments_out(log_lines):
    lines = log_lines("celery.app.trace")
    log_a_line.delay("a secret argument")
    [line] = lines()
    assert "succeeded" in line["message"]
    assert "a secret argument" not in json.dumps(line)


@pytest.mark.urls("tests.ops.urls_logging")
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_the_requests_id_in_the_worker(
    client, celery_worker, log_lines, wait_for
):
    lines = log_lines("tests.ops.logging")
    with transaction.atomic():  # tasks leave when the work commits, as in a view
        response = client.get("/queues/", HTTP_X_REQUEST_ID="queued-by-web-7")

    line = wait_for(lambda: next(iter(lines()), None), message="the task's log line")
    assert line["message"] == "from the task: queued by a request"
    assert line["request_id"] == "queued-by-web-7" == response[REQUEST_ID_HEADER]
    assert line["task_id"]


def test_the_readable_format_shows_the_ids_in_brackets():
    record = logging.LogRecord("shop.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id, record.task_id = "r-1", None
    text = ReadableFormatter().format(record)
    assert re.fullmatch(r"\S+ \S+ INFO +shop\.x \[request_id=r-1\] hello you", text)
    record.task_id = "t-9"
    assert "[request_id=r-1 task_id=t-9] hello you" in ReadableFormatter().format(record)


# --- The settings, in a fresh process -----------------------------------------------------

PROBE = """
import json, logging, sys
import django
django.setup()
from django.conf import settings
import sentry_sdk
client = sentry_sdk.get_client()
logging.getLogger("shop.probe").warning("probe line")
logging.getLogger("django.request").warning("django line")
print(json.dumps({
    "log_format": settings.LOG_FORMAT,
    "sentry_active": client.is_active(),
    "sentry_integrations": sorted(getattr(client, "integrations", {})),
    "sentry_options": {
        key: client.options.get(key)
        for key in ("dsn", "send_default_pii", "traces_sample_rate", "environment")
    } if client.is_active() else None,
}))
"""


def run_probe(**variables: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DATABASE_URL": "sqlite:///:memory:",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def probe(**variables: str) -> tuple[dict, str]:
    result = run_probe(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_production_logs_json_lines_by_default():
    values, stderr = probe()
    assert values["log_format"] == "json"
    [line] = [json.loads(text) for text in stderr.splitlines() if "probe line" in text]
    assert list(line)[:6] == KEYS
    assert line["logger"] == "shop.probe" and line["level"] == "WARNING"


def test_development_logs_readable_text_by_default_and_log_format_chooses():
    values, stderr = probe(DJANGO_DEBUG="true")
    assert values["log_format"] == "plain"
    assert re.search(r"WARNING +shop\.probe \[request_id=-\] probe line", stderr)
    # Django's lines once, in the same format (not again by Django's own console handler).
    assert [line for line in stderr.splitlines() if "django line" in line] == [
        line for line in stderr.splitlines() if "django.request [request_id=-] django line" in line
    ]
    assert stderr.count("django line") == 1

    values, stderr = probe(DJANGO_DEBUG="true", LOG_FORMAT="json")
    assert values["log_format"] == "json"
    assert any(json.loads(text)["message"] == "probe line" for text in stderr.splitlines())


def test_an_unknown_log_format_is_refused():
    result = run_probe(LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or plain" in result.stderr


def test_sentry_stays_off_without_a_dsn():
    values, _stderr = probe()
    assert values["sentry_active"] is False


def test_sentry_starts_with_django_and_celery_when_sentry_dsn_is_set():
    # Port 9 (discard) on this machine: nothing is sent at start-up anyway.
    dsn = "http://public@127.0.0.1:9/1"
    values, _stderr = probe(SENTRY_DSN=dsn, SENTRY_TRACES_SAMPLE_RATE="0.25")
    assert values["sentry_active"] is True
    assert {"django", "celery"} <= set(values["sentry_integrations"])
    assert values["sentry_options"] == {
        "dsn": dsn,
        "send_default_pii": False,
        "traces_sample_rate": 0.25,
        "environment": "production",
    }
