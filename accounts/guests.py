"""A shopper without an account, as the layers above see them.

A guest is known by what they hold, never by a name: through the API, the guest cart
token they send as `X-Cart-Token` (cart.auth; its digest is the `key` their orders
carry); on the pages, the orders their session placed or opened from a mailed link.
`Guest` is an anonymous user (no permission, no shop, not signed in) that carries that
proof, so that the selectors and policies which take a `user` can take a guest too.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

SESSION_ORDERS_KEY = "guest_order_ids"
# How many orders a session remembers (the newest ones).
SESSION_ORDERS_MAX = 20


def guest_key_of(token: str) -> str:
    """The digest stored for a guest cart token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Guest(AnonymousUser):
    is_guest = True

    def __init__(self, *, key: str = "", order_ids: Iterable = ()):
        self.key = key
        self.order_ids = frozenset(str(order_id) for order_id in order_ids)

    def __eq__(self, other):
        return (
            isinstance(other, Guest) and other.key == self.key and other.order_ids == self.order_ids
        )

    def __hash__(self):
        return hash((self.key, self.order_ids))

    def __str__(self) -> str:
        return _("a guest")

    @property
    def known(self) -> bool:
        """Holds something that can reach an order."""
        return bool(self.key or self.order_ids)


def guest_of_session(session) -> Guest:
    """The guest a page request is: the orders its session placed or opened."""
    return Guest(order_ids=session.get(SESSION_ORDERS_KEY, ()) if session is not None else ())


def guest_session_grant(session, order_id) -> None:
    """Let this session read and act on a guest order (it placed it, or it opened the
    order's signed link)."""
    order_id = str(uuid.UUID(str(order_id)))
    held = [held for held in session.get(SESSION_ORDERS_KEY, []) if held != order_id]
    session[SESSION_ORDERS_KEY] = [*held, order_id][-SESSION_ORDERS_MAX:]


def buyer_of(request):
    """Who is buying on a page: the signed-in person, else the session's guest."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return guest_of_session(getattr(request, "session", None))


def is_guest(user) -> bool:
    return bool(getattr(user, "is_guest", False))


def buyer_required(view):
    """A page for buyers: the signed-in, or a guest whose session holds an order (it
    placed one, or opened an order's signed link); anyone else signs in first."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated or guest_of_session(request.session).known:
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return wrapped
