"""The notification socket, `/ws/notifications/` (the protocol: docs/api.md, "Live
notifications").

A person's socket joins their group (notifications.realtime) and forwards what is sent
to it. Who the person is comes from the browser's session cookie, when the page is of
this site (its Origin), or else from a JWT access token in the first message, never in
the URL (addresses end up in logs). A socket that has not said who it is within
`REALTIME_AUTH_TIMEOUT` seconds is closed; so is one whose token expires.
"""

from __future__ import annotations

import asyncio
import time
from importlib import import_module
from urllib.parse import parse_qs, urlsplit

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.request import validate_host
from django.utils.translation import gettext as _

from notifications import realtime
from notifications.selectors import notifications_of, unread_count

# Close codes (4000-4999 are the application's): the client's next step depends on them.
CLOSE_BAD_MESSAGE = 4400  # not the protocol: fix the client
CLOSE_UNAUTHENTICATED = 4401  # bad, expired or revoked token: refresh it, then reconnect
CLOSE_AUTH_TIMEOUT = 4408  # no auth message in time
CLOSE_NOT_FOUND = 4404  # no socket at this path

CATCH_UP_LIMIT = 100


class SocketError(Exception):
    def __init__(self, code: str, detail: str, close: int) -> None:
        super().__init__(detail)
        self.code, self.detail, self.close = code, str(detail), close


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def origin_trusted(scope) -> bool:
    """The page that opened the socket is of this site: the same origin, a host of
    ALLOWED_HOSTS (behind a proxy that rewrites Host), or one of CSRF_TRUSTED_ORIGINS (a
    socket server on its own host). Only then does the session cookie count: another
    site's page could otherwise open a socket as its visitor."""
    origin = _header(scope, b"origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.netloc == _header(scope, b"host"):
        return True
    if parts.hostname and validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        return True
    return origin.rstrip("/") in {trusted.rstrip("/") for trusted in settings.CSRF_TRUSTED_ORIGINS}


def parse_since(value) -> int | None:
    """`since`: absent (None, "") for no catch-up, else the id of the newest notification
    the client has (0: none, so everything up to the limit)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    raise SocketError(
        "bad_since", _("since must be a notification id (0 or more)."), CLOSE_BAD_MESSAGE
    )


def user_of_token(raw: object):
    """The active user of a valid, unrevoked JWT access token, and when it expires."""
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
    from rest_framework_simplejwt.tokens import AccessToken

    from core.security.jwt import RevocableJWTAuthentication, token_denied

    if not isinstance(raw, str) or not raw:
        raise SocketError(
            "token_missing",
            _('Send an access token: {"type": "auth", "token": ...}.'),
            CLOSE_UNAUTHENTICATED,
        )
    try:
        token = AccessToken(raw)
    except ExpiredTokenError as exc:
        raise SocketError(
            "token_expired", _("The access token has expired: refresh it."), CLOSE_UNAUTHENTICATED
        ) from exc
    except TokenError as exc:
        raise SocketError(
            "token_invalid", _("The access token is not valid."), CLOSE_UNAUTHENTICATED
        ) from exc
    if token_denied(token):
        raise SocketError(
            "token_revoked", _("This token was revoked (signed out)."), CLOSE_UNAUTHENTICATED
        )
    try:
        user = RevocableJWTAuthentication().get_user(token)
    except AuthenticationFailed as exc:
        raise SocketError(
            "token_invalid", _("The access token's user cannot sign in."), CLOSE_UNAUTHENTICATED
        ) from exc
    return user, token.get("exp")


def catch_up(user_id: int, since: int | None) -> dict:
    """What `user_id` missed after `since` (oldest first, at most CATCH_UP_LIMIT), their
    unread count and the newest id."""
    missed = []
    if since is not None:
        found = list(
            notifications_of(user=user_id).filter(id__gt=since).order_by("id")[: CATCH_UP_LIMIT + 1]
        )
        missed = [realtime.message_of(notification) for notification in found[:CATCH_UP_LIMIT]]
        more = len(found) > CATCH_UP_LIMIT
    else:
        more = False
    last = notifications_of(user=user_id).values_list("id", flat=True).first() or 0
    return {"missed": missed, "more": more, "unread": unread_count(user=user_id), "last_id": last}


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user_id = None
        self.group = None
        self.token = None
        self.session_key = None
        self.timers: list[asyncio.Task] = []
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            self.since = parse_since((query.get("since") or [""])[0])
        except SocketError as error:
            await self.refuse(error)
            return
        user = self.scope.get("user")
        if user is not None and user.is_authenticated and origin_trusted(self.scope):
            self.session_key = self.scope["session"].session_key
            await self.subscribe(user.pk, self.since, how="session")
        else:
            self.timers.append(asyncio.ensure_future(self.auth_deadline()))

    async def still_signed_in(self) -> bool:
        """The socket's person may still hear their notifications: the session it began
        with still signs them in (not signed out, expired, or its password changed), or
        its token is still good (not revoked, the user still active)."""
        if self.token is not None:
            try:
                user, _expires = await database_sync_to_async(user_of_token)(self.token)
            except SocketError:
                return False
            return user.pk == self.user_id
        if self.session_key is None:
            return False
        engine = import_module(settings.SESSION_ENGINE)
        user = await get_user({"session": engine.SessionStore(self.session_key)})
        return user.is_authenticated and user.pk == self.user_id

    async def recheck(self):
        """Every REALTIME_RECHECK_SECONDS: still signed in? Then stay in the group (a
        group's membership expires on the layer); else close."""
        while True:
            await asyncio.sleep(settings.REALTIME_RECHECK_SECONDS)
            await self.recheck_now()

    async def recheck_now(self):
        if await self.still_signed_in():
            await self.channel_layer.group_add(self.group, self.channel_name)
            return
        await self.refuse(
            SocketError("signed_out", _("Signed out: sign in again."), CLOSE_UNAUTHENTICATED)
        )

    async def auth_deadline(self):
        await asyncio.sleep(settings.REALTIME_AUTH_TIMEOUT)
        if self.user_id is None:
            await self.refuse(
                SocketError("auth_timeout", _("No auth message in time."), CLOSE_AUTH_TIMEOUT)
            )

    async def expire_at(self, expires: float):
        await asyncio.sleep(max(0.0, expires - time.time()))
        await self.refuse(
            SocketError(
                "token_expired",
                _("The access token has expired: refresh it and reconnect with since."),
                CLOSE_UNAUTHENTICATED,
            )
        )

    async def refuse(self, error: SocketError):
        await self.send_json({"type": "error", "code": error.code, "detail": error.detail})
        await self.close(code=error.close)

    async def subscribe(self, user_id: int, since: int | None, *, how: str):
        self.user_id = user_id
        self.group = realtime.group_of(user_id)
        self.timers.append(asyncio.ensure_future(self.recheck()))
        # Join first, then read what was missed: a notification written in between comes
        # twice rather than never (clients keep the ids they have).
        await self.channel_layer.group_add(self.group, self.channel_name)
        state = await database_sync_to_async(catch_up)(user_id, since)
        await self.send_json(
            {
                "type": "ready",
                "auth": how,
                "unread": state["unread"],
                "last_id": state["last_id"],
                "missed": len(state["missed"]),
                "more": state["more"],
            }
        )
        for notification in state["missed"]:
            await self.send_json(
                {
                    "type": "notification",
                    "notification": notification,
                    "unread": state["unread"],
                    "replay": True,
                }
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = await self.decode_json(text_data) if text_data is not None else None
        except (ValueError, RecursionError):
            content = None
        try:
            await self.receive_message(content)
        except SocketError as error:
            await self.refuse(error)

    async def receive_message(self, content):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise SocketError(
                "bad_message", _('Messages are JSON objects with a "type".'), CLOSE_BAD_MESSAGE
            )
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "auth":
            if self.user_id is not None:
                await self.send_json(
                    {
                        "type": "error",
                        "code": "already_authenticated",
                        "detail": _("This socket is already signed in."),
                    }
                )
                return
            since = parse_since(content.get("since", self.since))
            user, expires = await database_sync_to_async(user_of_token)(content.get("token"))
            self.token = content.get("token")
            if expires:
                self.timers.append(asyncio.ensure_future(self.expire_at(float(expires))))
            await self.subscribe(user.pk, since, how="token")
        elif self.user_id is None:
            raise SocketError(
                "auth_required",
                _('Send {"type": "auth", "token": ...} first.'),
                CLOSE_UNAUTHENTICATED,
            )
        else:
            raise SocketError(
                "bad_message",
                _("Unknown message type %(type)s.") % {"type": repr(kind)},
                CLOSE_BAD_MESSAGE,
            )

    async def disconnect(self, code):
        for timer in self.timers:
            timer.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- From the channel layer (notifications.realtime) ----------------------------
    async def notification_created(self, event):
        await self.send_json(
            {
                "type": "notification",
                "notification": event["notification"],
                "unread": event["unread"],
            }
        )

    async def notification_unread(self, event):
        await self.send_json({"type": "unread", "unread": event["unread"]})

    async def notification_recheck(self, event):
        """The person signed out somewhere (notifications.receivers): this socket too?"""
        await self.recheck_now()

    async def notification_session_ended(self, event):
        """A page of the person signed out: its session's sockets close; the others
        check their own session or token."""
        if event.get("session") and event["session"] == self.session_key:
            await self.refuse(
                SocketError("signed_out", _("Signed out: sign in again."), CLOSE_UNAUTHENTICATED)
            )
            return
        await self.recheck_now()


class NotFoundConsumer(AsyncJsonWebsocketConsumer):
    """Any other path under the socket server: closed with CLOSE_NOT_FOUND."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
