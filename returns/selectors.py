"""Who reads which returns: the buyer theirs, a shop's members their shop's, staff who
see every order all of them."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from orders.policies import may_view_all_orders
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from shops.selectors import user_shop_ids


def returns_visible(*, user) -> QuerySet[ReturnRequest]:
    returns = ReturnRequest.objects.select_related("order", "shop").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line")),
        Prefetch("history", queryset=ReturnEvent.objects.order_by("at", "id")),
    )
    if not getattr(user, "is_authenticated", False):
        return returns.none()
    if may_view_all_orders(user):
        return returns
    return returns.filter(Q(user=user) | Q(shop_id__in=user_shop_ids(user=user)))
