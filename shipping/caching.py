"""Where a shop ships, as its page shows it, cached while the shop's shipping generation
stands (core.generations): bumped by the services when one of its zones, methods or
tiers is written (once per write, not once per row)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from core import generations

SHIPPING_GENERATION = "shipping:gen:shop:{}"
# Any shop's shipping: for answers over several shops (the signed-in cart, cart.caching).
ALL_SHIPPING_GENERATION = "shipping:gen"
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
    generations.bump([SHIPPING_GENERATION.format(shop_id), ALL_SHIPPING_GENERATION])


def zones_of_shops(shop_ids) -> dict[int, list]:
    """Each shop's zones with their methods and tiers (shipping.selectors.shipping_zones),
    cached per shop while its shipping generation stands: one round trip when all are
    cached, and the three queries once for all the shops that are not."""
    from django.core.cache import cache

    from shipping.selectors import shipping_zones

    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    keys = {shop_id: f"shipping:zones:{shop_id}" for shop_id in ids}
    marks = {shop_id: SHIPPING_GENERATION.format(shop_id) for shop_id in ids}
    found = cache.get_many([*keys.values(), *marks.values()])
    unset = [mark for mark in marks.values() if mark not in found]
    found.update(zip(unset, generations.current(unset), strict=True) if unset else ())
    answer: dict[int, list] = {}
    stale = []
    for shop_id in ids:
        stored = found.get(keys[shop_id])
        if stored is not None and stored[0] == found[marks[shop_id]]:
            answer[shop_id] = stored[1]
        else:
            stale.append(shop_id)
    if stale:
        built: dict[int, list] = {shop_id: [] for shop_id in stale}
        for zone in shipping_zones(shop_ids=stale):
            built[zone.shop_id].append(zone)
        cache.set_many(
            {keys[shop_id]: (found[marks[shop_id]], built[shop_id]) for shop_id in stale},
            timeout=TIMEOUT,
        )
        answer.update(built)
    return answer
