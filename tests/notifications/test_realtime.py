"""The live notification socket (issue 21) against a real ASGI server (uvicorn, in a
thread: tests/asgi_server.py), real WebSocket clients (`websockets`) and the Redis
channel layer: what staff change in the admin reaches the shopper's socket within a
second, nobody else's, a reconnect with `since` catches up, and bad tokens are refused
with a close code that says why."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.security.jwt import token_deny
from notifications.consumers import (
    CLOSE_AUTH_TIMEOUT,
    CLOSE_BAD_MESSAGE,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHENTICATED,
)
from notifications.models import Notification
from notifications.services import notification_mark_read, notify
from orders.services import order_mark_paid
from tests.factories import UserFactory, verify_email
from tests.notifications.conftest import placed

# The Redis channel layer between the test's thread and the server's (the in-memory one
# lives in one event loop), and committed rows for the server's threads.
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def session_socket(server, user, *, origin: str | None = None, since: int | None = None):
    """A browser's socket: the session cookie of `user`, from a page of the site."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    path = "/ws/notifications/" + (f"?since={since}" if since is not None else "")
    return connect(
        server.ws_url + path,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin=origin or server.url,
        open_timeout=5,
    )


def receive(socket, timeout: float = 3.0) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def closed_with(socket, timeout: float = 3.0) -> tuple[int, dict | None]:
    """The error message sent before the close, and the close code."""
    message = None
    try:
        while True:
            message = receive(socket, timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code, message


def test_a_status_change_by_staff_in_the_admin_reaches_the_shoppers_socket_within_a_second(
    asgi_server, shop_and_seller
):
    shop, _seller = shop_and_seller
    buyer, other = verify_email(UserFactory()), verify_email(UserFactory())
    order = placed(buyer, shop)
    order_mark_paid(order=order)
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)

    with session_socket(asgi_server, buyer) as mine, session_socket(asgi_server, other) as theirs:
        ready = receive(mine)
        assert ready["type"] == "ready" and ready["auth"] == "session"
        assert ready["unread"] == 1  # "Payment received", before the socket opened
        assert receive(theirs)["unread"] == 0

        response = admin.post(
            reverse("admin:orders_order_changelist"),
            {"action": "mark_shipped", "_selected_action": [str(order.pk)]},
        )
        assert response.status_code == 302
        message = receive(mine)
        arrived = time.time()

        assert message["type"] == "notification" and message["unread"] == 2
        told = message["notification"]
        assert told["kind"] == "order_status" and order.number in told["title"]
        assert told["link"] == reverse("orders:detail", args=[order.pk])
        written = datetime.fromisoformat(told["created_at"].replace("Z", "+00:00")).timestamp()
        assert arrived - written < 1.0, f"pushed {arrived - written:.3f} s after it was written"
        assert Notification.objects.get(pk=told["id"]).recipient == buyer

        # The other shopper's socket hears nothing of it.
        with pytest.raises(TimeoutError):
            theirs.recv(timeout=1.0)


def test_nobody_can_listen_to_another_persons_stream(asgi_server):
    me, someone = verify_email(UserFactory()), verify_email(UserFactory())
    someones_token = str(AccessToken.for_user(someone))

    with session_socket(asgi_server, me) as socket:
        assert receive(socket)["auth"] == "session"
        # A socket is its user's: a second identity is refused, and there is no way to
        # name another stream (the protocol has none).
        socket.send(json.dumps({"type": "auth", "token": someones_token}))
        assert receive(socket)["code"] == "already_authenticated"
        notify(user_ids=[someone.pk], kind="order_status", title="Not for me")
        notify(user_ids=[me.pk], kind="order_status", title="For me")
        assert receive(socket)["notification"]["title"] == "For me"
        with pytest.raises(TimeoutError):
            socket.recv(timeout=0.5)

    # Another site's page cannot use the visitor's cookie: without a token it is closed.
    with session_socket(asgi_server, me, origin="https://evil.example") as socket:
        socket.send(json.dumps({"type": "ping"}))
        assert receive(socket) == {"type": "pong"}
        socket.send(json.dumps({"type": "hello"}))
        code, error = closed_with(socket)
        assert code == CLOSE_UNAUTHENTICATED and error["code"] == "auth_required"


def test_a_client_that_reconnects_with_since_gets_what_it_missed(asgi_server):
    buyer = verify_email(UserFactory())
    notify(user_ids=[buyer.pk], kind="order_status", title="Seen before")

    with session_socket(asgi_server, buyer) as socket:
        ready = receive(socket)
        last_id = ready["last_id"]
        assert ready["unread"] == 1 and ready["missed"] == 0 and last_id

    # While away: two notifications, and one read elsewhere.
    notify(user_ids=[buyer.pk], kind="order_status", title="Missed one")
    notify(user_ids=[buyer.pk], kind="order_status", title="Missed two")
    notification_mark_read(notification=Notification.objects.get(title="Seen before"))

    with session_socket(asgi_server, buyer, since=last_id) as socket:
        ready = receive(socket)
        assert ready["missed"] == 2 and ready["more"] is False and ready["unread"] == 2
        missed = [receive(socket), receive(socket)]
        assert [m["notification"]["title"] for m in missed] == ["Missed one", "Missed two"]
        assert all(m["replay"] for m in missed)
        assert ready["last_id"] == missed[-1]["notification"]["id"]

        # And the bell of every open page follows what is read.
        notification_mark_read(notification=Notification.objects.get(title="Missed one"))
        assert receive(socket) == {"type": "unread", "unread": 1}


def test_an_app_signs_in_with_a_jwt_in_the_first_message(asgi_server):
    buyer = verify_email(UserFactory())
    notify(user_ids=[buyer.pk], kind="order_status", title="Before")
    since = Notification.objects.get().pk

    with connect(asgi_server.ws_url + "/ws/notifications/", open_timeout=5) as socket:
        token = str(AccessToken.for_user(buyer))
        socket.send(json.dumps({"type": "auth", "token": token, "since": since - 1}))
        ready = receive(socket)
        assert ready["auth"] == "token" and ready["missed"] == 1
        assert receive(socket)["notification"]["title"] == "Before"
        notify(user_ids=[buyer.pk], kind="order_status", title="Live")
        assert receive(socket)["notification"]["title"] == "Live"


@pytest.mark.parametrize("case", ["expired", "forged", "revoked", "inactive", "missing"])
def test_a_bad_or_expired_jwt_closes_the_socket_with_4401(asgi_server, case):
    buyer = verify_email(UserFactory())
    token = AccessToken.for_user(buyer)
    raw = str(token)
    if case == "expired":
        token.set_exp(lifetime=-timedelta(seconds=5))
        raw = str(token)
    elif case == "forged":
        raw = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    elif case == "revoked":
        token_deny(token)
    elif case == "inactive":
        buyer.is_active = False
        buyer.save(update_fields=["is_active"])
    elif case == "missing":
        raw = ""

    with connect(asgi_server.ws_url + "/ws/notifications/", open_timeout=5) as socket:
        socket.send(json.dumps({"type": "auth", "token": raw}))
        code, error = closed_with(socket)

    expected = {
        "expired": "token_expired",
        "forged": "token_invalid",
        "revoked": "token_revoked",
        "inactive": "token_invalid",
        "missing": "token_missing",
    }[case]
    assert code == CLOSE_UNAUTHENTICATED and error == {
        "type": "error",
        "code": expected,
        "detail": error["detail"],
    }


def test_a_token_socket_is_closed_when_its_token_expires(asgi_server):
    buyer = verify_email(UserFactory())
    token = AccessToken.for_user(buyer)
    token.set_exp(lifetime=timedelta(seconds=1))
    with connect(asgi_server.ws_url + "/ws/notifications/", open_timeout=5) as socket:
        socket.send(json.dumps({"type": "auth", "token": str(token)}))
        assert receive(socket)["type"] == "ready"
        started = time.monotonic()
        code, error = closed_with(socket)
    assert code == CLOSE_UNAUTHENTICATED and error["code"] == "token_expired"
    assert time.monotonic() - started < 3


def test_what_is_not_the_protocol_is_closed_with_a_code(asgi_server, settings):
    settings.REALTIME_AUTH_TIMEOUT = 0.3
    url = asgi_server.ws_url
    with connect(url + "/ws/notifications/", open_timeout=5) as socket:
        code, error = closed_with(socket)  # says nothing
    assert code == CLOSE_AUTH_TIMEOUT and error["code"] == "auth_timeout"

    with connect(url + "/ws/notifications/", open_timeout=5) as socket:
        socket.send("not json")
        assert closed_with(socket)[0] == CLOSE_BAD_MESSAGE

    with connect(url + "/ws/notifications/?since=-3", open_timeout=5) as socket:
        code, error = closed_with(socket)
    assert code == CLOSE_BAD_MESSAGE and error["code"] == "bad_since"

    with connect(url + "/ws/elsewhere/", open_timeout=5) as socket:
        assert closed_with(socket)[0] == CLOSE_NOT_FOUND


def test_signing_out_closes_the_persons_sockets(asgi_server):
    buyer = verify_email(UserFactory())
    client = Client()
    client.force_login(buyer)
    cookie = client.cookies["sessionid"].value
    with connect(
        asgi_server.ws_url + "/ws/notifications/",
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin=asgi_server.url,
        open_timeout=5,
    ) as socket:
        assert receive(socket)["auth"] == "session"
        client.post("/accounts/logout/")
        code, error = closed_with(socket)
    assert code == CLOSE_UNAUTHENTICATED and error["code"] == "signed_out"


def test_an_api_sign_out_closes_that_tokens_socket_and_no_other(asgi_server):
    from rest_framework_simplejwt.tokens import RefreshToken

    from tests.conftest import bearer_client

    buyer = verify_email(UserFactory())
    leaving, staying = RefreshToken.for_user(buyer), RefreshToken.for_user(buyer)
    leaving_access = str(leaving.access_token)  # (each read of it makes a new one)
    with (
        connect(asgi_server.ws_url + "/ws/notifications/", open_timeout=5) as gone,
        connect(asgi_server.ws_url + "/ws/notifications/", open_timeout=5) as kept,
    ):
        gone.send(json.dumps({"type": "auth", "token": leaving_access}))
        kept.send(json.dumps({"type": "auth", "token": str(staying.access_token)}))
        assert receive(gone)["type"] == receive(kept)["type"] == "ready"

        api = bearer_client(buyer)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {leaving_access}")
        assert api.post("/api/v1/auth/logout/", {"refresh": str(leaving)}).status_code == 204
        code, error = closed_with(gone)
        assert code == CLOSE_UNAUTHENTICATED and error["code"] == "signed_out"
        notify(user_ids=[buyer.pk], kind="order_status", title="Still here")
        assert receive(kept)["notification"]["title"] == "Still here"


def test_since_zero_replays_everything_and_no_since_nothing(asgi_server):
    buyer = verify_email(UserFactory())
    notify(user_ids=[buyer.pk], kind="order_status", title="Old news")
    with session_socket(asgi_server, buyer, since=0) as socket:
        assert receive(socket)["missed"] == 1
        assert receive(socket)["notification"]["title"] == "Old news"
    with session_socket(asgi_server, buyer) as socket:
        assert receive(socket)["missed"] == 0

    with connect(asgi_server.ws_url + "/ws/notifications/", open_timeout=5) as socket:
        token = str(AccessToken.for_user(buyer))
        socket.send(f'{{"type": "auth", "token": "{token}", "since": Infinity}}')
        code, error = closed_with(socket)
    assert code == CLOSE_BAD_MESSAGE and error["code"] == "bad_since"


def test_a_page_of_an_allowed_host_is_trusted_behind_a_proxy(asgi_server, settings):
    buyer = verify_email(UserFactory())
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.example"]
    # The proxy rewrote Host; the page's origin is the public host.
    with session_socket(asgi_server, buyer, origin="https://shop.example") as socket:
        assert receive(socket)["auth"] == "session"


def test_the_socket_server_of_production_serves_no_pages():
    import asyncio
    import threading

    from config.asgi import websocket_application

    sent = []

    async def receive_nothing():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/accounts/login/", "headers": []}
    # A thread of its own: a browser test may have left an event loop running here.
    runner = threading.Thread(
        target=lambda: asyncio.run(websocket_application(scope, receive_nothing, send))
    )
    runner.start()
    runner.join(timeout=10)
    assert sent[0]["status"] == 404 and b"not_found" in sent[1]["body"]


def test_signing_out_one_browser_leaves_the_other_browsers_socket_open(asgi_server):
    buyer = verify_email(UserFactory())
    leaving = Client()
    leaving.force_login(buyer)
    cookie = leaving.cookies["sessionid"].value
    with (
        connect(
            asgi_server.ws_url + "/ws/notifications/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=asgi_server.url,
            open_timeout=5,
        ) as gone,
        session_socket(asgi_server, buyer) as kept,
    ):
        assert receive(gone)["auth"] == receive(kept)["auth"] == "session"
        leaving.post("/accounts/logout/")
        # (Longer waits: the other socket first checks its own session in the database,
        # which a loaded machine may keep waiting.)
        code, error = closed_with(gone, timeout=10)
        assert code == CLOSE_UNAUTHENTICATED and error["code"] == "signed_out"
        notify(user_ids=[buyer.pk], kind="order_status", title="Still signed in here")
        assert receive(kept, timeout=10)["notification"]["title"] == "Still signed in here"


def test_pushes_share_one_loop_and_its_connections_and_a_forked_child_starts_its_own(
    monkeypatch,
):
    """The Redis layer is pushed to from one event loop per process (its connections
    kept): two pushes use the same loop and arrive; a forked child (another pid) starts a
    loop of its own instead of waiting on its parent's thread, which it does not have."""
    import asyncio
    import threading

    from channels.layers import get_channel_layer

    from notifications import realtime

    layer = get_channel_layer()
    channel = "notifications-test-listener"  # a plain channel: read from any loop
    group = realtime.group_of(424242)

    def run(coroutine):
        """`coroutine` to its end on a loop of its own thread (this worker's thread may
        run a browser driver's loop already)."""
        done = []
        thread = threading.Thread(target=lambda: done.append(asyncio.run(coroutine)))
        thread.start()
        thread.join()
        return done[0]

    async def received(count: int) -> list[int]:
        return [(await layer.receive(channel))["unread"] for _message in range(count)]

    run(layer.group_add(group, channel))
    try:
        realtime.push_unread(424242, 3)
        loop = realtime._push_loop._loop
        realtime.push_unread(424242, 2)
        assert realtime._push_loop._loop is loop and loop.is_running()

        monkeypatch.setattr(realtime.os, "getpid", lambda: -1)  # as in a forked child
        realtime.push_unread(424242, 1)
        assert realtime._push_loop._loop is not loop
        assert run(received(3)) == [3, 2, 1]
        loop.call_soon_threadsafe(loop.stop)  # the "parent's" loop, no longer used
    finally:
        run(layer.group_discard(group, channel))
