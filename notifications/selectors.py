"""Reading a person's notifications."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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
    """The bell's number, on every page of a signed-in person (`user` may be an id):
    from the cache while their notifications stand (notifications.services bumps them),
    else one query on the index of unread notifications."""
    if isinstance(user, int):
        user_id = user
    elif getattr(user, "is_authenticated", False):
        user_id = user.pk
    else:
        return 0
    return generations.read_through(
        f"notifications:unread:{user_id}",
        lambda: Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count(),
        generation=unread_generation(user_id),
        timeout=UNREAD_TIMEOUT,
    )


BELL_LATEST = 5


def bell_of(*, user) -> dict:
    """The header's bell: the unread count, the newest few notifications (the drop-down)
    and the id of the newest one (where the page's socket starts: `since`). Cached like
    the count; on a miss one query, the count riding along as a subquery."""
    if not getattr(user, "is_authenticated", False):
        return {"unread": 0, "latest": [], "last_id": 0}

    def read() -> dict:
        unread = (
            Notification.objects.filter(recipient_id=OuterRef("recipient_id"), read_at__isnull=True)
            .values("recipient_id")
            .annotate(total=Count("id"))
            .values("total")
        )
        latest = list(
            notifications_of(user=user)
            .annotate(
                unread_total=Coalesce(Subquery(unread), Value(0), output_field=IntegerField())
            )
            .values("id", "kind", "title", "link", "read_at", "created_at", "unread_total")[
                :BELL_LATEST
            ]
        )
        return {
            "unread": latest[0]["unread_total"] if latest else 0,
            "latest": latest,
            "last_id": max((row["id"] for row in latest), default=0),
        }

    return generations.read_through(
        f"notifications:bell:{user.pk}",
        read,
        generation=unread_generation(user.pk),
        timeout=UNREAD_TIMEOUT,
    )
