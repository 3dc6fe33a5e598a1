"""A signed-in shopper's cart as the API answers it, cached until something under it
changes (core.generations.read_through keyed by several generations at once):

- the person's cart generation: their cart, its lines or codes, or their addresses (the
  estimate is for the default one). Every write to a cart's lines or codes locks the
  cart's row first (cart.services._lock, and checkout in orders.services), which bumps
  it; a cart or an address saved or deleted bumps it by the signals connected here (not
  the lines': a signal on their deletes would cost each bulk delete a query per line);
- the catalog's (prices, stock: every sale bumps it, what is for sale, the running
  sales: catalog.caching);
- the promotions' (codes and their uses: promotions.caching);
- any shop's shipping (shipping.caching) and the taxes' (taxes.caching), for the estimate.

One answer per person, language (the notices are words) and host (image addresses are
absolute). Checkout reads everything again under its locks: the cache only shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models.signals import post_delete, post_save
from django.utils import translation

from catalog.caching import CATALOG_GENERATION
from core import generations
from promotions.caching import PROMOTIONS_GENERATION
from shipping.caching import ALL_SHIPPING_GENERATION
from taxes.caching import TAXES_GENERATION

T = TypeVar("T")
CART_GENERATION = "cart:gen:user:{}"
TIMEOUT = 60 * 60


def _generation_key(user_id: int) -> str:
    return CART_GENERATION.format(user_id)


def _view_key(user_id: int, host: str) -> str:
    return f"cart:view:{user_id}:{translation.get_language()}:{host}"


def _generations(user_id: int) -> tuple[str, ...]:
    return (
        _generation_key(user_id),
        CATALOG_GENERATION,
        PROMOTIONS_GENERATION,
        ALL_SHIPPING_GENERATION,
        TAXES_GENERATION,
    )


def cart_read_keys(*, user_id: int, host: str) -> list[str]:
    """The cache keys `cart_read` reads, for the rate limit's round trip to read them
    ahead (core.security.throttles)."""
    return generations.read_keys(_view_key(user_id, host), generation=_generations(user_id))


def cart_read(
    *,
    user_id: int,
    host: str,
    build: Callable[[], T],
    read_ahead: dict[str, object] | None = None,
) -> T:
    """The person's cart answer (`build()`'s when not cached or no longer true).
    `read_ahead`: its keys as read already in this request."""
    return generations.read_through(
        _view_key(user_id, host),
        build,
        generation=_generations(user_id),
        timeout=TIMEOUT,
        read_ahead=read_ahead,
    )


def user_cart_changed(*, user_id: int | None) -> None:
    if user_id is not None:
        generations.bump([_generation_key(user_id)])


# --- Signals --------------------------------------------------------------------------


def _cart_changed(sender, instance, **kwargs) -> None:
    user_cart_changed(user_id=instance.user_id)


def connect_signals() -> None:
    from accounts.models import Address
    from cart.models import Cart

    for name, signal in (("save", post_save), ("delete", post_delete)):
        for model in (Cart, Address):
            signal.connect(
                _cart_changed, sender=model, dispatch_uid=f"cart_gen_{model.__name__}_{name}"
            )
