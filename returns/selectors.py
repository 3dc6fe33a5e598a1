"""Who reads which returns: the buyer theirs, a shop's members their shop's, staff who
see every order all of them."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.guests import is_guest
from orders.policies import may_view_all_orders
from orders.selectors import guest_orders
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from shops.selectors import user_shop_ids


def returns_visible(*, user) -> QuerySet[ReturnRequest]:
    returns = ReturnRequest.objects.select_related("order", "shop").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line")),
        Prefetch("history", queryset=ReturnEvent.objects.order_by("at", "id")),
    )
    if is_guest(user):  # the returns of a guest's orders
        return returns.filter(order__in=guest_orders(user))
    if not getattr(user, "is_authenticated", False):
        return returns.none()
    if may_view_all_orders(user):
        return returns
    return returns.filter(Q(user=user) | Q(shop_id__in=user_shop_ids(user=user)))


def return_refund_description(refund_ref: str) -> str:
    """What a return's refund gave money back for ("1 x Desk Lamp, 2 x Bulb"), for its
    credit note (invoices.services.register_refund_describer); "" for another refund."""
    import uuid

    kind, _sep, value = str(refund_ref or "").partition(":")
    try:
        refund_id = uuid.UUID(value) if kind == "refund" else None
    except ValueError:
        refund_id = None
    if refund_id is None:
        return ""
    lines = ReturnLine.objects.filter(request__refund_id=refund_id).select_related("order_line")
    return ", ".join(
        f"{line.quantity} x {line.order_line.product_name}"
        + (f" ({line.order_line.variant_options})" if line.order_line.variant_options else "")
        for line in lines.order_by("id")
    )
