"""Structured logging: every line says when, how bad, which logger, what, and for which
request (and Celery task) it was written.

`RequestIdMiddleware` gives each request an id: the `X-Request-ID` the proxy in front sent,
when it is a sane token, or a new one. The id goes back in the response's `X-Request-ID`
header, and a context variable holds it while the request is handled; `ContextFilter`
copies it (and the id of the Celery task being run, if any) onto every log record. Tasks
queued during a request carry its id to the worker in a message header.

`settings.LOGGING` picks the formatter: `JsonFormatter` (one JSON object per line, for
log collectors; the default with DEBUG off) or `ReadableFormatter` (plain text for a
developer's terminal; the default with DEBUG on). `LOG_FORMAT` chooses explicitly.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

import sentry_sdk
from celery import current_task, signals
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ : - only, at most 128: a header that could break a log line,
# forge one, or fill the disk is replaced by a new id rather than echoed.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# The message header that carries the id of the request that queued a task.
TASK_HEADER = "request_id"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_get() -> str | None:
    """The id of the request being handled (or that queued the running task), if any."""
    return request_id_var.get()


def request_id_sane(value: str | None) -> str | None:
    """`value` when it is a usable request id, else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def request_id_new() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets `request.request_id` and the response's X-Request-ID header, and holds the id
    in `request_id_var` until the response is closed: Django logs a 4xx or 5xx answer
    after the middleware has returned it, and that line needs the id most."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request_id = request_id_sane(request.headers.get(REQUEST_ID_HEADER)) or request_id_new()
        request.request_id = request_id
        request_id_var.set(request_id)
        sentry_sdk.set_tag("request_id", request_id)  # a no-op unless Sentry is set up
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="core.logging.request_id_forget")
def _request_id_forget(**kwargs: Any) -> None:
    """The response was closed: lines written from now on belong to no request."""
    request_id_var.set(None)


def _current_task_id() -> str | None:
    task = current_task._get_current_object()
    if task is None:
        return None
    return getattr(task.request, "id", None)


class ContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` (None when there is none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = _current_task_id()
        return True


def _utc_time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message,
    request_id, task_id, then any `extra` fields, and the traceback as `exc_info`."""

    LEADING = ("time", "level", "logger", "message", "request_id", "task_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "reserved_attrs",
            [*RESERVED_ATTRS, "taskName", "context", "request", "server_time", *self.LEADING],
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict) -> None:
        log_data["time"] = _utc_time(record)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        log_data["request_id"] = getattr(record, "request_id", None)
        log_data["task_id"] = getattr(record, "task_id", None)
        super().add_fields(log_data, record, message_dict)
        if record.name.startswith("celery."):
            # Celery's `data` holds the task's arguments: an email's body, a reset link.
            log_data.pop("data", None)
        request = record.__dict__.get("request")
        if isinstance(request, HttpRequest):  # django.request's extra: its method and path
            log_data["http_request"] = f"{request.method} {request.get_full_path()}"


class ReadableFormatter(logging.Formatter):
    """Plain text for people: `time LEVEL logger [request_id=… task_id=…] message`."""

    FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(context)s] %(message)s"

    def __init__(self, fmt: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(fmt or self.FORMAT, *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        context = f"request_id={getattr(record, 'request_id', None) or '-'}"
        task_id = getattr(record, "task_id", None)
        if task_id:
            context += f" task_id={task_id}"
        record.context = context
        return super().format(record)


# --- Celery -----------------------------------------------------------------------------
# Loaded with the logging settings, so in the web process and the worker alike.


@signals.setup_logging.connect(weak=False)
def _keep_django_logging(**kwargs: Any) -> None:
    """A worker keeps the LOGGING of the settings: Celery configures logging only when
    nobody answers this signal (and would then write in its own format)."""


@signals.before_task_publish.connect(weak=False)
def _send_request_id(headers: dict | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, Token] = {}


@signals.task_prerun.connect(weak=False)
def _receive_request_id(task_id: str | None = None, task=None, **kwargs: Any) -> None:
    request_id = request_id_sane(getattr(getattr(task, "request", None), TASK_HEADER, None))
    if request_id and task_id:
        _task_tokens[task_id] = request_id_var.set(request_id)


@signals.task_postrun.connect(weak=False)
def _forget_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # a pool that ends tasks in another context than it began them
            request_id_var.set(None)
