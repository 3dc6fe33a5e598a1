"""One guard for every sign-in door: the API's login, allauth's pages and the admin's.

django-axes puts the guard in Django's `authenticate()` (its backend refuses a locked-out
caller before any password is checked, and its signal handlers count failures), so the
three doors share it without each calling it. This module is the policy axes asks
(AXES_HANDLER): failed attempts are counted

- per account and address pair: after SIGNIN_PAIR_FAILURES failures that pair is locked
  out for SIGNIN_LOCKOUT_SECONDS, twice as long at each further lockout within a day
  (up to SIGNIN_LOCKOUT_MAX_SECONDS). Somebody guessing a victim's password from
  another address does not lock the victim out;
- per address overall, with a higher limit: SIGNIN_ADDRESS_FAILURES failures within
  SIGNIN_ADDRESS_WINDOW_SECONDS lock the address out for the rest of that window.

Successful sign-ins are never counted (many shoppers share one address behind a mobile
carrier's NAT) and clear the pair's failures. The counters live in the cache (Redis in
production), so every web process sees the same ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time

from axes.backends import AxesStandaloneBackend
from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from core.security.throttles import client_ip, window_hit

PREFIX = "signin:"
STRIKE_MEMORY_SECONDS = 24 * 60 * 60  # how long failures count towards a longer lockout
IN_FLIGHT_SECONDS = 60  # an announced attempt that never ended stops counting then


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def credentials_username(request, credentials: dict | None) -> str | None:
    """The account a sign-in names, whatever the door calls the field (AXES_USERNAME_CALLABLE):
    the API and allauth pass `email`, the admin's form `username`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if value is None and request is not None:
        data = getattr(request, "POST", {}) or {}
        value = data.get("email") or data.get("username") or data.get("login")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _account_key(username: str | None) -> str:
    return hashlib.sha256((username or "").encode()).hexdigest()[:32]


def _pair_key(username: str | None, ip: str) -> str:
    return f"{PREFIX}pair:{_account_key(username)}:{ip}"


def _address_key(ip: str) -> str:
    return f"{PREFIX}addr:{ip}"


def _ip(request) -> str:
    return getattr(request, "axes_ip_address", None) or client_ip(request)


def _locked_for(key: str, now: float) -> float:
    until = cache.get(f"{key}:locked")
    return max(0.0, float(until) - now) if until else 0.0


class SignInGuardBackend(AxesStandaloneBackend):
    """axes' backend (first in AUTHENTICATION_BACKENDS): refuses a locked-out caller
    before any password is checked. A check without a request (an operator's script, a
    test) has no address to count and is let through to the password backends."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_seconds_left(request, credentials: dict | None = None) -> int:
    """How long the caller of `request` (naming the account in `credentials`) must wait
    before trying again; 0 when they may try now."""
    now = time.time()
    ip = _ip(request)
    pair = _pair_key(credentials_username(request, credentials), ip)
    return math.ceil(max(_locked_for(pair, now), _locked_for(_address_key(ip), now)))


def _release(request) -> None:
    """The attempt this request announced is over (see SignInGuardHandler.is_allowed)."""
    key = getattr(request, "_signin_in_flight", None)
    if key:
        request._signin_in_flight = None
        with contextlib.suppress(ValueError):  # expired meanwhile
            cache.decr(key)


class SignInGuardHandler(AbstractAxesHandler, AxesBaseHandler):
    """axes' handler interface over the counters described above. Every count is an
    atomic increment (one Redis round trip), so concurrent attempts lose none; and an
    attempt is announced before its password is checked, so that a burst of guesses in
    flight at once cannot outrun the count: at most SIGNIN_PAIR_FAILURES at a time per
    account and address."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return lockout_seconds_left(request, credentials) > 0

    def is_allowed(self, request, credentials: dict | None = None) -> bool:
        if not super().is_allowed(request, credentials):
            return False
        key = f"{_pair_key(credentials_username(request, credentials), _ip(request))}:flight"
        in_flight, _left = window_hit(cache, key, IN_FLIGHT_SECONDS)
        request._signin_in_flight = key
        if in_flight > _setting("SIGNIN_PAIR_FAILURES", 5):
            _release(request)
            return False
        return True

    def get_failures(self, request, credentials: dict | None = None) -> int:
        key = _pair_key(credentials_username(request, credentials), _ip(request))
        return int(cache.get(f"{key}:failures") or 0)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            return
        _release(request)
        if getattr(request, "axes_locked_out", False):
            # Refused by the guard without a password check: not a new guess.
            request.axes_credentials = credentials
            return
        if self.is_whitelisted(request, credentials):
            return
        now = time.time()
        ip = _ip(request)
        username = credentials_username(request, credentials)

        pair = _pair_key(username, ip)
        limit = _setting("SIGNIN_PAIR_FAILURES", 5)
        failures, _left = window_hit(cache, f"{pair}:failures", STRIKE_MEMORY_SECONDS)
        if failures % limit == 0:  # the attempt that reached the limit (again) locks
            strikes = failures // limit
            lockout = min(
                _setting("SIGNIN_LOCKOUT_SECONDS", 60) * 2 ** (strikes - 1),
                _setting("SIGNIN_LOCKOUT_MAX_SECONDS", 24 * 60 * 60),
            )
            cache.set(f"{pair}:locked", now + lockout, timeout=lockout + 1)

        address = _address_key(ip)
        window = _setting("SIGNIN_ADDRESS_WINDOW_SECONDS", 15 * 60)
        failures, left = window_hit(cache, f"{address}:failures", window)
        if failures >= _setting("SIGNIN_ADDRESS_FAILURES", 50):
            cache.set(f"{address}:locked", now + left, timeout=left + 1)

        if lockout_seconds_left(request, credentials) > 0:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=ip)

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        if request is not None:
            signin_succeeded(request, user.get_username())

    def user_logged_out(self, sender, request, user, **kwargs) -> None:
        return None

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """`axes_reset_ip` / `axes_reset_ip_username`: clear an address's lockout, or an
        account's lockout from one address (both given)."""
        keys = []
        if ip_address:
            address = _address_key(ip_address)
            keys += [f"{address}:failures", f"{address}:locked"]
            if username:
                pair = _pair_key(username.strip().lower(), ip_address)
                keys += [f"{pair}:failures", f"{pair}:locked"]
        return sum(1 for key in keys if cache.delete(key))


def signin_succeeded(request, username: str) -> None:
    """A correct sign-in from this address clears its pair's failures and lockouts."""
    _release(request)
    pair = _pair_key(username.strip().lower(), _ip(request))
    cache.delete_many([f"{pair}:failures", f"{pair}:locked"])


def signin_failed(request, username: str) -> None:
    """A failure found after the password (a wrong second-factor code) counts as one."""
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.send(sender=__name__, credentials={"email": username}, request=request)


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """What a locked-out caller gets (AXES_LOCKOUT_CALLABLE): 429 with Retry-After, in the
    JSON error shape on the API, as a page elsewhere."""
    wait = max(1, lockout_seconds_left(request, credentials))
    minutes = math.ceil(wait / 60)
    detail = ngettext(
        "Too many failed sign-in attempts from here. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts from here. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"code": "throttled", "detail": detail}, status=429)
    else:
        response = render(request, "429.html", {"detail": detail, "wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
