"""A return's refund the provider confirms later (Stripe's are asynchronous): when the
orders app counts it (orders.signals.order_refund_recorded, naming the refund), the
return it was made for becomes refunded."""

from __future__ import annotations

import uuid

from django.dispatch import receiver

from orders.signals import order_refund_recorded


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
