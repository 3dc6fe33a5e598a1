"""The cache of a customer's order history pages (`GET /api/v1/orders/`).

A page is keyed by its buyer's *orders generation*: a short random token kept in the
cache and replaced ("bumped") whenever one of that person's orders, its lines or its
status history is saved or deleted, so that a page built on an old token is never read
again (and expires on its own). Only a customer's own history is cached: what staff
and shop members see spans other people's orders and is read from the database.

As in catalog.caching, a generation is bumped at once and again after commit
(core.generations). Saves and deletes
are caught by the model signals connected in `connect_signals` (orders.apps); writers
that bypass them (`QuerySet.update`, bulk inserts, raw SQL) call `user_orders_changed`
(checkout's bulk insert of lines needs not: the order itself is saved with them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db.models.signals import post_delete, post_save
from django.utils import translation

from core import generations

USER_ORDERS_GENERATION = "orders:gen:user:{}"
LIST_TIMEOUT = 5 * 60
T = TypeVar("T")


def _generation_key(user_id: int) -> str:
    return USER_ORDERS_GENERATION.format(user_id)


def _history_key(user_id: int, url: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"orders:list:{user_id}:{translation.get_language()}:{digest}"


def order_history_read_keys(*, user_id: int, url: str) -> list[str]:
    """The cache keys `order_history_read` reads, for the rate limit's round trip to read
    them ahead (core.security.throttles)."""
    return generations.read_keys(_history_key(user_id, url), generation=_generation_key(user_id))


def order_history_read(
    *,
    user_id: int,
    url: str,
    build: Callable[[], T],
    read_ahead: dict[str, object] | None = None,
) -> T:
    """One page of a person's order history, or one of their orders (`url`: the absolute
    address asked for, query string included: filters, page, page size, and the links
    built), cached while their orders generation stands (core.generations.read_through).
    One per language: a page holds words (the delivery estimates). `read_ahead`: its keys
    as read already in this request."""
    return generations.read_through(
        _history_key(user_id, url),
        build,
        generation=_generation_key(user_id),
        timeout=LIST_TIMEOUT,
        read_ahead=read_ahead,
    )


def user_orders_changed(*, user_ids: Iterable[int | None]) -> None:
    """These people's order history changed: their cached pages are never read again."""
    generations.bump(_generation_key(user_id) for user_id in user_ids if user_id is not None)


# --- Signals --------------------------------------------------------------------------


def _order_changed(sender, instance, **kwargs) -> None:
    user_orders_changed(user_ids=[instance.user_id])


def _order_child_changed(sender, instance, **kwargs) -> None:
    """A line or status change: its order's buyer, without a query when it is loaded."""
    from orders.models import Order

    order = instance._state.fields_cache.get("order")
    if order is not None:
        user_id = order.user_id
    else:
        user_id = Order.objects.filter(pk=instance.order_id).values_list("user_id", flat=True)
        user_id = user_id.first()
    user_orders_changed(user_ids=[user_id])


def connect_signals() -> None:
    from orders.models import Order, OrderLine, OrderStatusChange, Shipment

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_order_changed, sender=Order, dispatch_uid=f"orders_cache_order_{name}")
        # A fulfilment is saved with its shipment's new status: the shipment tells.
        for model in (OrderLine, OrderStatusChange, Shipment):
            signal.connect(
                _order_child_changed,
                sender=model,
                dispatch_uid=f"orders_cache_{model.__name__}_{name}",
            )
