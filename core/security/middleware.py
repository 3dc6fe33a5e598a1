"""Middleware of the security policy: request body limits and the payment page's CSP."""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from core.errors import error_response

TOO_LARGE_DETAIL = gettext_lazy("The request body is too large.")

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


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with the policy of a response that changes nothing in it
    built once (per settings) rather than twice on every response.

    Nearly every response takes the settings' policy as it is: no nonce was asked for,
    no view set a config, update or replace of its own (csp.decorators, or
    StripeCSPMiddleware on the payment page). Those that did go to django-csp's own
    `process_response`; the others get the same headers from the strings kept here.
    """

    PER_RESPONSE = (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
    )
    HEADERS = (
        (HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
        (HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
    )

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._built: tuple[tuple, tuple[str, str]] | None = None

    def _settings_policies(self) -> tuple[str, str]:
        """The headers of the settings' policies, built again when the settings change."""
        sources = tuple(getattr(settings, name, None) for _, _, name in self.HEADERS)
        built = self._built
        if built is None or any(old is not new for old, new in zip(built[0], sources, strict=True)):
            built = self._built = (sources, (build_policy(), build_policy(report_only=True)))
        return built[1]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in self.PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # Django's debug pages, as django-csp leaves them
        for (header, exempt, setting), policy in zip(
            self.HEADERS, self._settings_policies(), strict=True
        ):
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if not request.path_info.startswith(tuple(prefixes or ())):
                response[header] = policy
        # As django-csp: a nonce asked for once the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
