"""Rate limits of the API: all traffic (anonymous and signed in), and the endpoints that
abuse goes for, writing reviews and checking out.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (API_THROTTLE_ANON, _USER,
_REVIEW and _CHECKOUT in the environment), read when the request comes (DRF's own
classes read them once, at import), so a test's settings override reaches them.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class SettingsRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonThrottle(SettingsRate, AnonRateThrottle):
    """Requests of people not signed in, per client address (`anon`)."""


class UserThrottle(SettingsRate, UserRateThrottle):
    """Requests of signed-in people, per account (`user`). Anonymous requests are
    AnonThrottle's alone: DRF's class would count them a second time, per address, at
    the cost of two more cache round trips on every anonymous API request."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class WriteRateThrottle(SettingsRate, UserRateThrottle):
    """Only the writing methods count: reading reviews or one's orders costs nothing here.
    Per signed-in user (per address otherwise)."""

    methods: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def allow_request(self, request, view) -> bool:
        if request.method not in self.methods:
            return True
        return super().allow_request(request, view)


class ReviewThrottle(WriteRateThrottle):
    """Writing and editing reviews."""

    scope = "review"
    methods = frozenset({"POST", "PUT", "PATCH"})


class CheckoutThrottle(WriteRateThrottle):
    """Placing orders (each one reserves stock)."""

    scope = "checkout"
    methods = frozenset({"POST"})
