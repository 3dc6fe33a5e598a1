"""Writing notifications: one function, called by the services of the apps above after
what they tell has happened (never by the faces). Written in the transaction of that
change and announced after it commits, so that a rolled-back change tells nobody
anything."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import generations
from core.i18n import in_language_of
from core.texts import Text, written
from notifications import realtime
from notifications.models import TOPIC_OF, Kind, Notification, Topic
from notifications.selectors import unread_count, unread_generation

MAX_TITLE = Notification._meta.get_field("title").max_length
MAX_BODY = Notification._meta.get_field("body").max_length
MAX_LINK = Notification._meta.get_field("link").max_length


class _Recipient:
    """The little of a person that a notification needs: who, and their language."""

    __slots__ = ("language", "pk")

    def __init__(self, pk: int, language: str) -> None:
        self.pk, self.language = pk, language


def _wanting(user_ids: set[int], kind: str) -> list[_Recipient]:
    """The active people among `user_ids` whose preferences let `kind` through: "My
    orders" is their `order_updates`, "Offers" their `marketing_emails`; what concerns
    their shops or the platform's operations always comes."""
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    topic = TOPIC_OF.get(kind)
    if topic == Topic.ORDERS:
        users = users.filter(order_updates=True)
    elif topic == Topic.OFFERS:
        users = users.filter(marketing_emails=True)
    return [_Recipient(pk, language) for pk, language in users.values_list("pk", "language")]


def notify(
    *,
    user_ids: Iterable[int | None],
    kind: Kind | str,
    title: Text,
    body: Text = "",
    link: str = "",
) -> None:
    """Tell these people (ids; None is skipped: a guest's order) about `kind`: stored in
    the transaction of the change that made it happen (so a rolled-back change tells
    nobody anything, and one that commits adds no transaction of its own), then, once it
    commits, their unread counts refreshed and the new ones pushed to their open sockets.

    Each is told in their own language (core.i18n): `title` and `body` are written for
    each recipient inside `in_language_of` them, so give a lazy translation, or a function
    that calls gettext (`lambda: _("New order %(number)s") % {...}`), not text already
    translated in the language of the request that caused it."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return
    recipients = _wanting(ids, str(kind))
    if not recipients:
        return
    texts: dict[str, tuple[str, str]] = {}  # by language: written once for each
    for recipient in recipients:
        with in_language_of(recipient) as language:
            if language not in texts:
                texts[language] = (written(title), written(body))
        recipient.language = language
    created = Notification.objects.bulk_create(
        Notification(
            recipient_id=recipient.pk,
            kind=kind,
            title=texts[recipient.language][0][:MAX_TITLE],
            body=texts[recipient.language][1][:MAX_BODY],
            link=link[:MAX_LINK],
        )
        for recipient in recipients
    )

    def announce() -> None:
        # Once committed: a bell cached before saw none of them, one cached from now on
        # sees them all.
        generations.bump(unread_generation(recipient.pk) for recipient in recipients)
        realtime.push_created(created)

    transaction.on_commit(announce)


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
        generations.bump([unread_generation(notification.recipient_id)])
        user_id = notification.recipient_id
        transaction.on_commit(lambda: realtime.push_unread(user_id, unread_count(user=user_id)))
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Everything of `user` read; answers how many were unread."""
    marked = Notification.objects.filter(Q(recipient=user), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    generations.bump([unread_generation(user.pk)])
    if marked:
        transaction.on_commit(lambda: realtime.push_unread(user.pk, 0))
    return marked
