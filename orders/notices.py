"""What the orders app tells people in the notification centre (notifications.notify):
the buyer about their order, the shops' members about a new order of theirs."""

from __future__ import annotations

from django.urls import reverse

from notifications.models import Kind
from notifications.services import notify
from orders.links import order_path
from orders.models import Order, OrderLine
from shops.selectors import shop_member_user_ids

STATUS_WORDS = {
    "shipped": "is on its way",
    "delivered": "was delivered",
    "cancelled": "is cancelled",
    "refunded": "is refunded",
}


def tell_paid(order: Order) -> None:
    notify(
        user_ids=[order.user_id],
        kind=Kind.PAYMENT_SUCCEEDED,
        title=f"Payment received for order {order.number}",
        body=f"{order.total} {order.currency}: the shops are getting your order ready.",
        link=order_path(order),
    )
    if not order.awaiting_email:
        tell_sellers_new_order(order)


def tell_sellers_new_order(order: Order) -> None:
    """Each shop of a paid order hears of it (a guest's held order: once released)."""
    shop_ids = OrderLine.objects.filter(order=order).values("shop_id")  # a subquery
    notify(
        user_ids=shop_member_user_ids(shop_ids=shop_ids),
        kind=Kind.NEW_ORDER,
        title=f"New order {order.number}",
        body="Paid: its lines of your shop are waiting to be sent.",
        link=f"{reverse('admin:orders_orderline_changelist')}?q={order.number}",
    )


def tell_status(order: Order, status: str) -> None:
    words = STATUS_WORDS.get(status)
    if words:
        notify(
            user_ids=[order.user_id],
            kind=Kind.ORDER_STATUS,
            title=f"Your order {order.number} {words}",
            link=order_path(order),
        )


def tell_sent(order: Order, *, shop_name: str, carrier: str, tracking_url: str) -> None:
    via = f" with {carrier}" if carrier else ""
    notify(
        user_ids=[order.user_id],
        kind=Kind.ORDER_SENT,
        title=f"{shop_name} sent items of order {order.number}{via}",
        body=f"Track them: {tracking_url}" if tracking_url else "",
        link=order_path(order),
    )
