"""Which order a page's visitor reaches, and as whom: for every page that acts on an
order (its page, cancelling, paying, returns, invoices)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from accounts.guests import guest_of_session
from orders import selectors
from orders.models import Order


def page_viewers(request: HttpRequest) -> list[Any]:
    """Who the visitor may be, in order: the signed-in person, then the session's guest
    (the orders whose link this browser opened, even with someone signed in)."""
    viewers = []
    if request.user.is_authenticated:
        viewers.append(request.user)
    guest = guest_of_session(getattr(request, "session", None))
    if guest.known:
        viewers.append(guest)
    return viewers


def order_for_page(request: HttpRequest, order_id) -> tuple[Order, Any]:
    """The order and the viewer who reaches it; any other order is a 404, as if it did
    not exist."""
    for viewer in page_viewers(request):
        order = selectors.order_get_for(user=viewer, order_id=order_id)
        if order is not None:
            return order, viewer
    raise Http404(_("No such order."))
