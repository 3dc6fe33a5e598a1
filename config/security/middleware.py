"""Middleware of the security policy: request body limits and the payment page's CSP."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from config.errors import error_response

TOO_LARGE_DETAIL = "The request body is too large."

# What Stripe.js needs on the page that takes the card
# (https://docs.stripe.com/security/guide#content-security-policy).
STRIPE_CSP = {
    "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}


def request_too_large(request: HttpRequest) -> HttpResponse:
    return error_response(request, 413, "request_too_large", TOO_LARGE_DETAIL)


class RequestBodyLimitMiddleware:
    """Refuse a body larger than the limits before anything reads it: 413 `request_too_large`.

    Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only where it reads the body itself
    (forms); DRF's JSON parser reads the stream and would not stop. Multipart bodies
    (image uploads) may be as large as MAX_UPLOAD_REQUEST_SIZE; files inside them are
    limited again by the services (catalog.services.MAX_IMAGE_BYTES).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/form-data"):
            limit = settings.MAX_UPLOAD_REQUEST_SIZE
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return request_too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        # Django's own limit (a form's fields), reached by a body without a length.
        if isinstance(exception, RequestDataTooBig):
            return request_too_large(request)
        return None


class StripeCSPMiddleware:
    """Let Stripe.js run on the payment page only, and only when Stripe is configured.

    The page is named by CSP_STRIPE_VIEW_NAMES (URL names). Sits inside django-csp's
    CSPMiddleware (after it in MIDDLEWARE), which builds the header from the update.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            match is not None
            and match.view_name in settings.CSP_STRIPE_VIEW_NAMES
            and settings.STRIPE_PUBLISHABLE_KEY
        ):
            update = dict(getattr(response, "_csp_update", None) or {})
            for directive, sources in STRIPE_CSP.items():
                update[directive] = [*update.get(directive, []), *sources]
            response._csp_update = update
        return response
