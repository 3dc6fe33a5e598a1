"""The ASGI application: the whole shop over HTTP (Django's handler) and the live
notification socket under /ws/ (Channels). Served by uvicorn: `make run` serves both on
one port (`application`); in production gunicorn serves HTTP (config.wsgi) and
`websocket_application` the socket alone (the `realtime` service in compose.yaml, the
proxy sending /ws/ to it)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django is set up here, before anything imports models (the routes' consumers do).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.routing import websocket_urlpatterns  # noqa: E402

# The session cookie and its user (only trusted with a page of this site's origin:
# notifications.consumers.origin_trusted); apps send a JWT in the first message.
sockets = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))

# The whole shop: `make run` and the tests' server.
application = ProtocolTypeRouter({"http": django_application, "websocket": sockets})


async def no_pages(scope, receive, send):
    """HTTP on the socket server: 404. It serves the socket only, so that its port is
    no second door to the site (with its own view of client addresses and HTTPS)."""
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send(
        {"type": "http.response.body", "body": b'{"detail":"Not found.","code":"not_found"}'}
    )


# The `realtime` service of production (compose.yaml): the socket alone.
websocket_application = ProtocolTypeRouter({"http": no_pages, "websocket": sockets})
