"""The socket routes (config.asgi mounts them under /ws/)."""

from django.urls import path, re_path

from notifications.consumers import NotFoundConsumer, NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),
]
