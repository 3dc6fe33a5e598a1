"""A return's refund the provider confirms later (Stripe's are asynchronous): when the
orders app counts it (orders.signals.order_refund_recorded, naming the refund), the
return it was made for becomes refunded."""

from __future__ import annotations

import uuid

from django.dispatch import receiver

from orders.signals import order_refund_recorded, orders_adopted


@receiver(order_refund_recorded, dispatch_uid="returns-refund-confirmed")
def _return_refunded(sender, order, amount, ref="", **kwargs) -> None:
    from returns.services import return_mark_refunded

    kind, _sep, value = str(ref or "").partition(":")
    if kind != "refund":
        return
    try:
        refund_id = uuid.UUID(value)
    except ValueError:
        return
    return_mark_refunded(refund_id=refund_id)


@receiver(orders_adopted, dispatch_uid="returns-follow-adopted-orders")
def _returns_follow_adopted_orders(sender, user, order_ids, **kwargs) -> None:
    """A guest's returns of orders an account adopted become that account's."""
    from returns.models import ReturnRequest

    ReturnRequest.objects.filter(order_id__in=order_ids, user__isnull=True).update(user=user)
