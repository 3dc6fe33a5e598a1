"""Template helpers of the payments app, for pages of the apps below it.

    {% load payment_tags %}
    {% order_payments order %}      an order's payments and refunds (what the viewer may see)

The order page lives in the orders app, which does not import payments (dependencies
point one way: orders <- payments); the page asks for this block instead.
"""

from __future__ import annotations

from typing import Any

from django import template

from orders.policies import is_buyer
from payments import selectors
from payments.models import PaymentStatus
from payments.views import card_labels, failure_reason

register = template.Library()


@register.inclusion_tag("payments/_order_payments.html", takes_context=True)
def order_payments(context, order) -> dict[str, Any]:
    """The order's payments (newest first) and refunds (oldest first) that the signed-in
    person may see: their own, or all for staff. Two queries whatever their number (a
    third when a card's brand must come from the saved cards)."""
    request = context["request"]
    # The page's viewer: the signed-in person, or a guest holding the order's link.
    viewer = context.get("viewer") or request.user
    own = is_buyer(viewer, order)
    payments = list(
        selectors.payments_of_order(order=order)
        if own
        else selectors.payment_list_for(user=request.user).filter(order=order)
    )
    labels = card_labels(payments)
    for payment in payments:
        payment.card_label = labels.get(payment.payment_method, "")
        if payment.status == PaymentStatus.FAILED:
            payment.failure_reason = failure_reason(payment)
    refunds = sorted(
        (refund for payment in payments for refund in payment.refund_list),
        key=lambda refund: refund.created_at,
    )
    return {
        "order": order,
        "payments": payments,
        "refunds": refunds,
        "is_own": own,
    }
