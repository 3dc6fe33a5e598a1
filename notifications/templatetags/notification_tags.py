"""The header's bell: `{% notification_bell %}` (the unread count and the newest
notifications, rendered on load)."""

from django import template
from django.conf import settings

from notifications.selectors import bell_of

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    """The bell and its drop-down (a <details>: it opens without JavaScript); the
    page's script (static/js/realtime.js) keeps both live from the socket."""
    request = context.get("request")
    user = getattr(request, "user", None)
    bell = bell_of(user=user)
    return {**bell, "csrf_token": context.get("csrf_token"), "socket": settings.REALTIME_URL}


@register.inclusion_tag("notifications/_realtime.html", takes_context=True)
def realtime_config(context, toasts: str = ""):
    """A page without the bell (the admin): where its socket is, and the kinds of
    notification it shows as a toast. It wants only what comes from now on (no
    `since`, so no query here); the socket's `ready` tells it the newest id."""
    return {"socket": settings.REALTIME_URL, "toasts": toasts}
