"""The order's address in its mails: its page for an account's order, a signed link
for a guest's (valid without an account: orders.views.order_link opens it).

The link carries the order's id signed with the site's secret (django.core.signing)
and expires after GUEST_ORDER_LINK_DAYS; anyone holding it reads the order and acts
as its buyer, as anyone holding the mailbox could.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "orders.guest-link"


def link_days() -> int:
    return int(getattr(settings, "GUEST_ORDER_LINK_DAYS", 365))


def order_link_token(order) -> str:
    return signing.dumps(str(order.pk), salt=SALT)


def order_id_from_link(token: str) -> uuid.UUID | None:
    """The order a link's token names; None when forged, altered or expired."""
    try:
        value = signing.loads(token, salt=SALT, max_age=link_days() * 24 * 60 * 60)
        return uuid.UUID(str(value))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def order_path(order) -> str:
    if order.user_id is None:
        return reverse("orders:link", args=[order_link_token(order)])
    return reverse("orders:detail", args=[order.pk])


def order_url(order) -> str:
    """The absolute address the order's mails link to."""
    return f"{settings.SITE_URL}{order_path(order)}"
