"""Reading a person's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from core import generations
from notifications.models import Notification


def notifications_of(*, user, unread: bool | None = None) -> QuerySet[Notification]:
    found = Notification.objects.filter(recipient=user)
    if unread is True:
        found = found.filter(read_at__isnull=True)
    elif unread is False:
        found = found.filter(read_at__isnull=False)
    return found.order_by("-created_at", "-id")


UNREAD_GENERATION = "notifications:gen:{}"
UNREAD_TIMEOUT = 10 * 60


def unread_generation(user_id: int) -> str:
    return UNREAD_GENERATION.format(user_id)


def unread_count(*, user) -> int:
    """The bell's number, on every page of a signed-in person: from the cache while
    their notifications stand (notifications.services bumps them), else one query on the
    index of unread notifications."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return generations.read_through(
        f"notifications:unread:{user.pk}",
        lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
        generation=unread_generation(user.pk),
        timeout=UNREAD_TIMEOUT,
    )
