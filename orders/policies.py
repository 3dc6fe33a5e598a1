"""Who may do what to orders (see docs/architecture.md, "Policies").

Platform staff act on other people's orders through Django's permissions on orders
(the ones the order admin asks): `view_order` to read every order and the sales
figures, `change_order` to move orders along and cancel them. Everyone else reads and
cancels their own orders; shop members read their shops' lines (orders.selectors).
"""

from __future__ import annotations

from accounts.guests import is_guest
from accounts.policies import staff_may
from orders.models import OrderStatus
from shops.selectors import user_is_member, user_shop_ids

S = OrderStatus
CANCELLABLE = frozenset({S.PENDING, S.PAID, S.PROCESSING})
CANCELLABLE_BY_OWNER = frozenset({S.PENDING, S.PAID})


def is_buyer(user, order) -> bool:
    """`user` bought `order`: its account, or a guest holding its proof (the order's
    signed link opened in their session, or the guest cart token it was placed with)."""
    if user is None:
        return False
    if is_guest(user):  # only while no account has adopted the order
        if order.user_id is not None:
            return False
        return str(order.pk) in user.order_ids or (bool(user.key) and order.guest_key == user.key)
    return user.pk is not None and order.user_id == user.pk


def may_view_all_orders(user) -> bool:
    """Staff who may view orders, or change them (Django's change implies view)."""
    return staff_may(user, "orders.view_order") or staff_may(user, "orders.change_order")


def may_view_sales(user) -> bool:
    """The platform's sales figures (report, dashboard): staff who may see orders."""
    return staff_may(user, "orders.view_order") or staff_may(user, "orders.change_order")


def may_change_orders(user) -> bool:
    """Move any order along (processing, shipped, delivered) or cancel it."""
    return staff_may(user, "orders.change_order")


def may_view_orders_of(user, user_id: int) -> bool:
    """A person's order list: theirs, or staff who may see every order."""
    return user.pk == int(user_id) or may_view_all_orders(user)


def may_cancel_order(user, order) -> bool:
    """Its owner while it is pending or paid; staff with `change_order` (and the system,
    `user` None) also while it is processing. Nobody else, and nobody once it shipped.

    Cancelling a paid order gives the money back: staff need the refund permission too
    (`payments.add_refund`, payments.policies.may_refund) for anything but a pending one.
    """
    if user is None:
        return order.status in CANCELLABLE
    if may_change_orders(user) and (
        order.status == S.PENDING or staff_may(user, "payments.add_refund")
    ):
        return order.status in CANCELLABLE
    return is_buyer(user, order) and order.status in CANCELLABLE_BY_OWNER


def may_fulfil(user, shop_id: int) -> bool:
    """Send a shop's lines of an order: the shop's members, and staff who change orders."""
    return may_change_orders(user) or user_is_member(user=user, shop=shop_id)


def statement_shop_ids(user) -> set[int] | None:
    """The shops whose seller statements `user` reads: every one (None) for staff who
    may see the sales figures, else the shops they own (maybe none)."""
    if may_view_sales(user):
        return None
    return user_shop_ids(user=user, roles=("owner",))
