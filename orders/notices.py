"""What the orders app tells people in the notification centre (notifications.notify):
the buyer about their order, the shops' members about a new order of theirs."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.models import Kind
from notifications.services import notify
from orders.links import order_path
from orders.models import Order, OrderLine
from shops.selectors import shop_member_user_ids

# The titles told of an order's new status. Each notification is written in its
# reader's language (notifications.services.notify): lazy here, formatted by `notify`.
STATUS_TITLES = {
    "shipped": gettext_lazy("Your order %(number)s is on its way"),
    "delivered": gettext_lazy("Your order %(number)s was delivered"),
    "cancelled": gettext_lazy("Your order %(number)s is cancelled"),
    "refunded": gettext_lazy("Your order %(number)s is refunded"),
}


def tell_paid(order: Order) -> None:
    number, total, currency = order.number, order.total, order.currency
    notify(
        user_ids=[order.user_id],
        kind=Kind.PAYMENT_SUCCEEDED,
        title=lambda: _("Payment received for order %(number)s") % {"number": number},
        body=lambda: (
            _("%(total)s %(currency)s: the shops are getting your order ready.")
            % {"total": total, "currency": currency}
        ),
        link=order_path(order),
    )
    if not order.awaiting_email:
        tell_sellers_new_order(order)


def tell_sellers_new_order(order: Order) -> None:
    """Each shop of a paid order hears of it (a guest's held order: once released)."""
    shop_ids = OrderLine.objects.filter(order=order).values("shop_id")  # a subquery
    number = order.number
    notify(
        user_ids=shop_member_user_ids(shop_ids=shop_ids),
        kind=Kind.NEW_ORDER,
        title=lambda: _("New order %(number)s") % {"number": number},
        body=gettext_lazy("Paid: its lines of your shop are waiting to be sent."),
        link=f"{reverse('admin:orders_orderline_changelist')}?q={order.number}",
    )


def tell_status(order: Order, status: str) -> None:
    title = STATUS_TITLES.get(status)
    if title:
        number = order.number
        notify(
            user_ids=[order.user_id],
            kind=Kind.ORDER_STATUS,
            title=lambda: str(title) % {"number": number},
            link=order_path(order),
        )


def tell_sent(order: Order, *, shop_name: str, carrier: str, tracking_url: str) -> None:
    words = {"shop": shop_name, "number": order.number, "carrier": carrier, "url": tracking_url}

    def title() -> str:
        if carrier:
            return _("%(shop)s sent items of order %(number)s with %(carrier)s") % words
        return _("%(shop)s sent items of order %(number)s") % words

    notify(
        user_ids=[order.user_id],
        kind=Kind.ORDER_SENT,
        title=title,
        body=(lambda: _("Track them: %(url)s") % words) if tracking_url else "",
        link=order_path(order),
    )
