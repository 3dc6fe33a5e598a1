"""Where a shop ships, as its page shows it, cached while the shop's shipping generation
stands (core.generations): bumped by the services when one of its zones, methods or
tiers is written (once per write, not once per row)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from core import generations

SHIPPING_GENERATION = "shipping:gen:shop:{}"
TIMEOUT = 60 * 60


def shop_shipping_read(*, shop_id: int) -> list[dict[str, Any]]:
    """The shop's zones as plain data: name, country names, regions, and the active
    methods (name, kind, price, free_above, lowest tier price, estimate). One per
    language: the country names and the estimates are words of the reader's."""
    from shipping.selectors import shipping_summary

    return generations.read_through(
        f"shipping:shop:{shop_id}:{translation.get_language()}",
        lambda: shipping_summary(shop_id=shop_id),
        generation=SHIPPING_GENERATION.format(shop_id),
        timeout=TIMEOUT,
    )


def shipping_changed(*, shop_id: int) -> None:
    """The shop's zones, methods or tiers changed (every write goes through
    shipping.services, which calls this): its cached summary is never read again."""
    generations.bump([SHIPPING_GENERATION.format(shop_id)])
