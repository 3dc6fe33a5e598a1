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

PREFIX = "signin:"
STRIKE_MEMORY_SECONDS = 24 * 60 * 60


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
    return getattr(request, "axes_ip_address", None) or "unknown"


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
    pair = cache.get(_pair_key(credentials_username(request, credentials), ip)) or {}
    address = cache.get(_address_key(ip)) or {}
    waits = [pair.get("locked_until", 0) - now]
    if address.get("failures", 0) >= _setting("SIGNIN_ADDRESS_FAILURES", 50):
        waits.append(address.get("closes", 0) - now)
    return max(0, math.ceil(max(waits)))


class SignInGuardHandler(AbstractAxesHandler, AxesBaseHandler):
    """axes' handler interface over the two counters described above."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return lockout_seconds_left(request, credentials) > 0

    def get_failures(self, request, credentials: dict | None = None) -> int:
        ip = _ip(request)
        pair = cache.get(_pair_key(credentials_username(request, credentials), ip)) or {}
        return int(pair.get("failures", 0))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            return
        if getattr(request, "axes_locked_out", False):
            # Refused by the guard without a password check: not a new guess.
            request.axes_credentials = credentials
            return
        if self.is_whitelisted(request, credentials):
            return
        now = time.time()
        ip = _ip(request)
        username = credentials_username(request, credentials)

        pair_key = _pair_key(username, ip)
        pair = cache.get(pair_key) or {"failures": 0, "strikes": 0, "locked_until": 0}
        pair["failures"] += 1
        if pair["failures"] >= _setting("SIGNIN_PAIR_FAILURES", 5):
            pair["strikes"] += 1
            pair["failures"] = 0
            lockout = min(
                _setting("SIGNIN_LOCKOUT_SECONDS", 60) * 2 ** (pair["strikes"] - 1),
                _setting("SIGNIN_LOCKOUT_MAX_SECONDS", 24 * 60 * 60),
            )
            pair["locked_until"] = now + lockout
        cache.set(pair_key, pair, timeout=max(STRIKE_MEMORY_SECONDS, pair["locked_until"] - now))

        window = _setting("SIGNIN_ADDRESS_WINDOW_SECONDS", 15 * 60)
        address_key = _address_key(ip)
        address = cache.get(address_key) or {"failures": 0, "closes": now + window}
        address["failures"] += 1
        cache.set(address_key, address, timeout=max(1, math.ceil(address["closes"] - now)))

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
        """`axes_reset_ip` / `axes_reset_username`: clear an address's counter, or an
        account's lockout from one address (both given)."""
        keys = []
        if ip_address:
            keys.append(_address_key(ip_address))
            if username:
                keys.append(_pair_key(username.strip().lower(), ip_address))
        return sum(1 for key in keys if cache.delete(key))


def signin_succeeded(request, username: str) -> None:
    """A correct password from this address clears its pair's failures and lockouts."""
    cache.delete(_pair_key(username.strip().lower(), _ip(request)))


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """What a locked-out caller gets (AXES_LOCKOUT_CALLABLE): 429 with Retry-After, in the
    JSON error shape on the API, as a page elsewhere."""
    wait = max(1, lockout_seconds_left(request, credentials))
    detail = (
        "Too many failed sign-in attempts from here. "
        f"Try again in {math.ceil(wait / 60)} minute{'s' if wait > 60 else ''}."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"code": "throttled", "detail": detail}, status=429)
    else:
        response = render(request, "429.html", {"detail": detail, "wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
