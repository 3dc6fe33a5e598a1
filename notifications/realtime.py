"""Pushing notifications to the people's open sockets (notifications.consumers).

Every signed-in socket of a person joins their group on the channel layer (Redis in
production, so the web, worker and socket processes reach each other; in-memory for the
quickstart, where one process serves everything). The services here send to the group
after the notifications are written: the socket server forwards what it receives.

A push is a courtesy: the notifications are stored, a client that was away catches up
with `since`, and a page without its socket shows the count rendered on load. So a
channel layer that cannot be reached is logged, never raised to the change that told.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Coroutine, Iterable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db.models import Count

from notifications.models import Notification

logger = logging.getLogger(__name__)

GROUP = "notifications.user.{}"


def group_of(user_id: int) -> str:
    """The channel-layer group of one person's sockets."""
    return GROUP.format(user_id)


def message_of(notification: Notification) -> dict:
    """A notification as the API and the socket show it (notifications.api)."""
    from notifications.api import NotificationSerializer

    return dict(NotificationSerializer(notification).data)


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    ids = list(user_ids)
    counted = (
        Notification.objects.filter(recipient_id__in=ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(unread=Count("id"))
        .values_list("recipient_id", "unread")
    )
    return dict.fromkeys(ids, 0) | dict(counted)


class _PushLoop:
    """One event loop per process, on a thread of its own, that pushes to a layer usable
    from any loop (Redis): its connections stay open from one push to the next, where a
    new loop for each push (async_to_sync) opens and closes them every time: 0.3 ms of
    CPU a push instead of 1.9 ms, measured on the benchmark's machine. Started on first
    use, and again in a forked child (a loop's thread does not survive a fork)."""

    TIMEOUT_S = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="notifications-push", daemon=True
                ).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, send_all: Callable[[], Coroutine]) -> None:
        asyncio.run_coroutine_threadsafe(send_all(), self._running()).result(self.TIMEOUT_S)


_push_loop = _PushLoop()


def _any_loop(layer) -> bool:
    """Whether `layer` may be sent to from a loop of its own: not the in-memory layer,
    whose queues belong to the loop of the consumers reading them."""
    return not isinstance(layer, InMemoryChannelLayer)


def _send(messages: list[tuple[str, dict]]) -> None:
    try:
        layer = get_channel_layer()
    except Exception:  # a layer misconfigured: logged, never raised to the change
        logger.warning("No channel layer to push notifications through", exc_info=True)
        return
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    def run() -> None:
        try:
            if _any_loop(layer):
                _push_loop.run(send_all)
            else:
                async_to_sync(send_all)()
        except Exception:  # the layer is down: the stored notifications still stand
            logger.warning("Could not push %d notification messages", len(messages), exc_info=True)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run()
        return
    # An event loop runs in this very thread (a synchronous caller under a test's browser
    # driver): async_to_sync refuses it, so the sending gets a thread of its own.
    sender = threading.Thread(target=run, name="notifications-push")
    sender.start()
    sender.join()


def push_created(notifications: list[Notification]) -> None:
    """Each new notification to its recipient's sockets, with their unread count."""
    if not notifications:
        return
    try:
        unread = unread_counts({notification.recipient_id for notification in notifications})
        messages = [
            (
                group_of(notification.recipient_id),
                {
                    "type": "notification.created",
                    "notification": message_of(notification),
                    "unread": unread[notification.recipient_id],
                },
            )
            for notification in notifications
        ]
    except Exception:  # what was committed stands; the pages show it on load
        logger.warning("Could not prepare the push of new notifications", exc_info=True)
        return
    _send(messages)


def push_unread(user_id: int, unread: int) -> None:
    """The person read some: every open page's bell shows the new count."""
    _send([(group_of(user_id), {"type": "notification.unread", "unread": unread})])


def push_session_ended(user_id: int, session_key: str | None) -> None:
    """A page signed out: the sockets of that session close (the others recheck)."""
    _send([(group_of(user_id), {"type": "notification.session_ended", "session": session_key})])


def push_recheck(user_id: int) -> None:
    """Some of the person's sessions ended: each of their sockets checks its own."""
    _send([(group_of(user_id), {"type": "notification.recheck"})])
