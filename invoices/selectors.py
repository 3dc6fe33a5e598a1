"""Who reads which invoices: an order's buyer all of its documents, a shop's members
their shop's, staff who see every order all of them."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.guests import is_guest
from invoices.models import Invoice
from orders.models import PAID_STATUSES
from orders.policies import is_buyer, may_view_all_orders
from orders.selectors import guest_orders
from shops.selectors import user_shop_ids


def invoices_visible(*, user) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("shop", "order", "credits")
    if is_guest(user):  # a guest's orders' documents (their signed link or cart token)
        return invoices.filter(order__in=guest_orders(user))
    if not getattr(user, "is_authenticated", False):
        return invoices.none()
    if may_view_all_orders(user):
        return invoices
    from django.db.models import Q

    # A shop's members: not the documents of a guest's order that waits for its address.
    for_shops = Q(shop_id__in=user_shop_ids(user=user), order__awaiting_email=False)
    return invoices.filter(Q(order__user=user) | for_shops)


def invoice_get_for(*, user, invoice_id: int) -> Invoice | None:
    return invoices_visible(user=user).filter(pk=invoice_id).first()


def order_invoices_for(*, user, order) -> list[Invoice]:
    """The order's documents `user` reads: none before it was paid (no query), all of
    them for its buyer (one query)."""
    if order.status not in PAID_STATUSES:
        return []
    if is_buyer(user, order):
        documents = Invoice.objects.select_related("shop", "credits").filter(order=order)
    else:
        documents = invoices_visible(user=user).filter(order=order)
    return list(documents.order_by("issued_at", "id"))
