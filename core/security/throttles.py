"""Rate limits of the API: all traffic (anonymous and signed in), and the endpoints that
abuse goes for, writing reviews and checking out.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (API_THROTTLE_ANON, _USER,
_REVIEW and _CHECKOUT in the environment), read when the request comes (DRF's own
classes read them once, at import), so a test's settings override reaches them.
"""

from __future__ import annotations

import math
import time

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class SettingsRate:
    """The rate read from the settings at each request, counted in a fixed window.

    DRF's SimpleRateThrottle keeps the time of every request of the window in one cache
    value, read, unpickled, pruned, pickled and written back on each request: at a high
    rate that list holds thousands of floats. Here a window opens at a caller's first
    request and lasts the rate's period; each request adds one to its counter (one
    round trip on Redis: core.cache.RedisCache.window_hit) and is refused once the
    counter passes the rate, until the window closes (`Retry-After`: what is left of it).
    """

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # The view's cached answer comes in the same round trip (read_ahead).
        read = []
        if getattr(request, "cache_read_ahead", None) is None:
            read = list(getattr(view, "cache_read_ahead_keys", lambda request: [])(request))
        hits, self.left, found = window_hit_reading(
            self.cache, f"{self.key}:window", self.duration, read
        )
        if read:
            request.cache_read_ahead = {key: found.get(key) for key in read}
        return hits <= self.num_requests

    def wait(self) -> float:
        return max(1, self.left)


def window_hit(cache, key: str, duration: int) -> tuple[int, int]:
    """Count a request in the window under `key` (opened by its first request, closed
    `duration` seconds later): the requests counted so far and the seconds left."""
    hits, left, _found = window_hit_reading(cache, key, duration, [])
    return hits, left


def window_hit_reading(
    cache, key: str, duration: int, read: list[str]
) -> tuple[int, int, dict[str, object]]:
    """`window_hit`, and the values found under the keys `read` (on Redis in the same
    round trip: a view whose answer is cached names its keys in `cache_read_ahead_keys`,
    and finds them in `request.cache_read_ahead`, where a missing key is None)."""
    if hasattr(cache, "window_hit"):  # Redis: one round trip
        return cache.window_hit(key, duration, read)
    hits, left = _window_hit_elsewhere(cache, key, duration)
    return hits, left, cache.get_many(read) if read else {}


def _window_hit_elsewhere(cache, key: str, duration: int) -> tuple[int, int]:
    # Any other backend: the counter, and beside it the time the window closes.
    now = time.time()
    if cache.add(key, 0, timeout=duration):
        cache.set(f"{key}:closes", now + duration, timeout=duration)
    try:
        hits = cache.incr(key)
    except ValueError:  # the window closed between the two calls: a new one
        cache.set(key, 1, timeout=duration)
        cache.set(f"{key}:closes", now + duration, timeout=duration)
        hits = 1
    closes = cache.get(f"{key}:closes") or now + duration
    return hits, max(1, math.ceil(closes - now))


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


class CartTokenThrottle(SettingsRate, AnonRateThrottle):
    """New guest carts (each guest token is a fresh guest: the hoarding caps count
    per token too), per client address."""

    scope = "cart_token"


def client_ip(request) -> str:
    """The caller's address as every limit of the site counts it: REMOTE_ADDR, or with
    API_NUM_PROXIES trusted proxies in front, the address the outermost of them saw
    (DRF's rule; a client cannot choose its address by sending X-Forwarded-For)."""
    from django.conf import settings

    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or "unknown"
    proxies = int(settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote
