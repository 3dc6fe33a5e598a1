"""One error shape for every JSON answer of the site (see docs/api.md).

`{"code": "<snake_case>", "detail": "<human text>"}`, plus `fields` for validation
errors (nested keys joined with dots) and any extra keys a domain error carries
(for example `product_id` and `available` beside `insufficient_stock`).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback


class ApplicationError(Exception):
    """Base of every app's domain errors: a stable `code`, an HTTP status and a detail.

    Services raise these; the API maps them to the JSON error shape and pages show
    `detail` as a form error or message.
    """

    code = "application_error"
    status_code = 400
    default_detail = _("The request could not be completed.")

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        # Plain text in the language active where the error is raised (the request's):
        # `default_detail` is lazy, and a lazy string is no JSON for json.dumps.
        self.detail = str(detail or self.default_detail)
        if extra.get("fields"):
            extra["fields"] = {
                name: [str(message) for message in messages]
                if isinstance(messages, list | tuple)
                else messages
                for name, messages in extra["fields"].items()
            }
        self.extra = extra
        super().__init__(self.detail)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class DomainValidationError(ApplicationError):
    """A business rule rejected input; `fields` says which field, when one is to blame."""

    code = "validation_error"
    status_code = 400
    default_detail = _("Invalid input.")

    def __init__(self, detail: str | None = None, *, fields: dict[str, list[str]] | None = None):
        super().__init__(detail, **({"fields": fields} if fields else {}))


class NotPermitted(ApplicationError):
    """The caller may see the thing but not do this to it (a policy said no)."""

    code = "permission_denied"
    status_code = 403
    default_detail = _("You do not have permission to do this.")


# DRF's own codes, renamed where the contract names them differently.
_CODE_BY_EXCEPTION: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ParseError, "parse_error"),
]

# Codes DRF or simplejwt put on an exception's detail that the contract renames.
_RENAMED_CODES = {
    "token_not_valid": "token_invalid",
    "user_not_found": "token_invalid",
    "user_inactive": "token_invalid",
    "password_changed": "token_invalid",
    "token_revoked": "token_invalid",
    "no_active_account": "token_invalid",
    "authentication_failed": "not_authenticated",
}


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into `{"a.b": ["message"]}` (lists index as `a.0.b`)."""
    flat: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else str(key)
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in data)
        else:
            for index, item in enumerate(data):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(str(data))
    return flat


def _first_message(fields: dict[str, list[str]]) -> str:
    for name, messages in fields.items():
        if messages:
            if name == "non_field_errors":
                return messages[0]
            # Translators: an API error's summary: a field's name (not translated), its message.
            return gettext("%(field)s: %(message)s") % {"field": name, "message": messages[0]}
    return gettext("Invalid input.")


def _code_of(exc: exceptions.APIException) -> str:
    detail_code = None
    if isinstance(exc.detail, dict):
        code = exc.detail.get("code")
        detail_code = str(code) if code else None
    elif hasattr(exc.detail, "code"):
        detail_code = exc.detail.code
    if detail_code in _RENAMED_CODES:
        return _RENAMED_CODES[detail_code]
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        return "csrf_failed"
    custom = getattr(exc, "error_code", None)
    if custom:
        return custom
    for klass, code in _CODE_BY_EXCEPTION:
        if isinstance(exc, klass):
            return code
    return exc.default_code if isinstance(exc.default_code, str) else "error"


def _detail_text(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt puts a human message under "detail" beside "code" and "messages".
        text = detail.get("detail")
        return str(text) if text else str(exc.default_detail)
    if isinstance(detail, list):
        return str(detail[0]) if detail else str(exc.default_detail)
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error becomes the contract's JSON shape."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        wait = getattr(exc, "wait", None)  # a domain throttle: seconds to wait
        headers = {"Retry-After": str(math.ceil(wait))} if wait else None
        return Response(exc.as_dict(), status=exc.status_code, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(
            {"code": "request_too_large", "detail": gettext("The request body is too large.")},
            status=413,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's handler500 answers, in the same shape

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail if isinstance(exc.detail, dict | list) else [exc.detail])
        body: dict[str, Any] = {
            "code": "validation_error",
            "detail": _first_message(fields),
            "fields": fields,
        }
    else:
        body = {"code": _code_of(exc), "detail": _detail_text(exc)}
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


# --- Django-level error views (outside DRF): JSON for API paths, pages otherwise ------


def wants_json(request: HttpRequest) -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhooks/", "/healthz", "/readyz")):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: HttpRequest, status_code: int, code: str, detail: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"code": code, "detail": str(detail)}, status=status_code)
    return render(
        request,
        "error.html",
        {"status_code": status_code, "detail": detail},
        status=status_code,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(
        request, 400, "bad_request", gettext("The request could not be understood.")
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(
        request, 403, "permission_denied", gettext("You do not have permission to do this.")
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, "not_found", gettext("Not found."))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(
        request,
        500,
        "server_error",
        gettext("Something went wrong on our side. Please try again."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(
        request,
        403,
        "csrf_failed",
        gettext(
            "The form has expired or the CSRF token is missing. Reload the page and try again."
        ),
    )


# --- The error shape in the OpenAPI schema (config.schema adds it to every operation) ---


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API. Some codes carry more keys beside these
    (`insufficient_stock`: `product_id`, `available`; `payment_failed`: `decline_code`)."""

    code = serializers.CharField(
        help_text="A stable snake_case code, e.g. `validation_error`, `not_authenticated`, "
        "`token_invalid`, `permission_denied`, `not_found`, `throttled`."
    )
    detail = serializers.CharField(help_text="A human explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Only with `validation_error`: messages by field; nested fields have "
        "dotted keys (`shipping_address.city`).",
    )
