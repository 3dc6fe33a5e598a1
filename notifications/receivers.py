"""What the notifications do when others' events happen: a person's sessions ended (a
sign-out on a page or in the API, a password change, a switched-off account), so their
open sockets check at once whether they still stand (notifications.consumers)."""

from django.contrib.auth.signals import user_logged_out
from django.db import transaction

from accounts.signals import sessions_ended
from notifications import realtime


def _recheck(sender, user=None, **kwargs) -> None:
    if user is not None and user.pk is not None:
        user_id = user.pk
        transaction.on_commit(lambda: realtime.push_recheck(user_id))


def _signed_out(sender, request=None, user=None, **kwargs) -> None:
    """A page's sign-out: Django sends the signal before it empties the session, so the
    sockets are told which session ended rather than asked to look (they might look
    before it is gone)."""
    if user is None or user.pk is None:
        return
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    user_id = user.pk
    transaction.on_commit(lambda: realtime.push_session_ended(user_id, session_key))


def connect() -> None:
    user_logged_out.connect(_signed_out, dispatch_uid="notifications-recheck-logout")
    sessions_ended.connect(_recheck, dispatch_uid="notifications-recheck-sessions")
