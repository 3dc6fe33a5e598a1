"""A real ASGI server for the tests: uvicorn serving config.asgi (the whole shop over
HTTP and the notification socket) from a thread of the test process, on a free port.

A thread, like pytest-django's live server: the test's committed rows, the settings a
test changes and the Redis channel layer are shared with it. Tests using it must be
`django_db(transaction=True)`. Static files are the collected ones, served by whitenoise
as in production (tests/conftest.py's _collected_static). Database connections its
threads open are closed after each request (CONN_MAX_AGE 0 while it runs), so none
outlives the test database.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import pytest
import uvicorn
from django.db import connections


@dataclass
class AsgiServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"


@pytest.fixture
def asgi_server(transactional_db, settings, _collected_static):
    from config.asgi import application

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    settings_dict = connections.settings["default"]
    kept_age = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            access_log=False,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="asgi-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield AsgiServer("127.0.0.1", listener.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        settings_dict["CONN_MAX_AGE"] = kept_age
