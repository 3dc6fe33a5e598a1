"""The ASGI application: the whole shop over HTTP (Django's handler) and the live
notification socket under /ws/ (Channels). Served by uvicorn: `make run` serves both on
one port; in production gunicorn serves HTTP (config.wsgi) and this serves the socket
(the `realtime` service in compose.yaml, the proxy sending /ws/ to it)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django is set up here, before anything imports models (the routes' consumers do).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # The session cookie and its user (only trusted with a page of this site's origin:
        # notifications.consumers.origin_trusted); apps send a JWT in the first message.
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
