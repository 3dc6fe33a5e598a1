"""The socket on the quickstart's shape: one process, Channels' in-memory layer, the
push sent from a synchronous thread of that process (a view, an eager task) to the
consumer on its event loop. Driven by asgiref's ApplicationCommunicator (the ASGI
messages themselves; channels.testing would import daphne), on SQLite too."""

from __future__ import annotations

import json
import threading

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.db import connections
from django.test import Client

from notifications.models import Notification
from notifications.services import notifications_mark_all_read, notify
from tests.factories import UserFactory, verify_email

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def in_memory_layer(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = IN_MEMORY
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def browser_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [
        (b"host", b"shop.example"),
        (b"origin", b"https://shop.example"),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]


class Socket(ApplicationCommunicator):
    def __init__(self, application, path: str, headers) -> None:
        scope = {"type": "websocket", "path": path, "query_string": b"", "headers": headers}
        super().__init__(application, {**scope, "subprotocols": []})

    async def connect(self) -> bool:
        await self.send_input({"type": "websocket.connect"})
        return (await self.receive_output(5))["type"] == "websocket.accept"

    async def receive_json_from(self, timeout: float = 5) -> dict:
        return json.loads((await self.receive_output(timeout))["text"])

    async def send_json_to(self, message: dict) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(message)})


def test_a_page_of_the_quickstart_hears_what_its_own_process_tells(in_memory_layer):
    from config.asgi import application

    buyer = verify_email(UserFactory())
    headers = browser_headers(buyer)

    async def scenario():
        socket = Socket(application, "/ws/notifications/", headers)
        assert await socket.connect()
        ready = await socket.receive_json_from(timeout=5)
        assert ready["type"] == "ready" and ready["auth"] == "session" and ready["unread"] == 0

        await database_sync_to_async(notify)(
            user_ids=[buyer.pk], kind="order_status", title="Order 1 shipped", link="/orders/1/"
        )
        told = await socket.receive_json_from(timeout=5)
        assert told["type"] == "notification" and told["unread"] == 1
        assert told["notification"]["title"] == "Order 1 shipped"
        assert (
            told["notification"]["id"]
            == await database_sync_to_async(lambda: Notification.objects.get().pk)()
        )

        await database_sync_to_async(notifications_mark_all_read)(user=buyer)
        assert await socket.receive_json_from(timeout=5) == {"type": "unread", "unread": 0}

        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
        await socket.send_json_to({"type": "subscribe", "user": 1})
        error = await socket.receive_json_from(timeout=5)
        assert error["code"] == "bad_message"
        assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4400}
        await socket.send_input({"type": "websocket.disconnect", "code": 4400})
        await socket.wait(timeout=5)

    # In a thread of its own: a browser test before this one may have left Playwright's
    # event loop running in the main thread, where async_to_sync refuses to run.
    failures = []

    def run():
        try:
            async_to_sync(scenario)()
        except BaseException as error:  # re-raised in the test's thread
            failures.append(error)
        finally:
            connections.close_all()  # this thread's, before the test database goes

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive()
    if failures:
        raise failures[0]
