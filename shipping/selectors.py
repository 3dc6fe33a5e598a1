"""Reads of shipping: a shop's zones, and the options a shop offers for an address."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from shipping.models import ShippingMethod, ShippingWeightTier, ShippingZone, estimate_text


@dataclass(frozen=True)
class Parcel:
    """What one shop sends: its lines' subtotal and their weight."""

    shop_id: int
    subtotal: Decimal
    weight_kg: Decimal


@dataclass(frozen=True)
class ShippingOption:
    method_id: int
    shop_id: int
    name: str
    kind: str
    price: Decimal
    currency: str
    min_days: int
    max_days: int

    @property
    def estimate(self) -> str:
        return estimate_text(self.min_days, self.max_days)


def shipping_zones(*, shop_ids: Iterable[int]) -> QuerySet[ShippingZone]:
    """The zones of these shops with their methods (all, in order) and the methods'
    tiers: three queries whatever the number of shops."""
    methods = ShippingMethod.objects.order_by("position", "id").prefetch_related(
        Prefetch("tiers", queryset=ShippingWeightTier.objects.order_by("up_to_kg"))
    )
    return (
        ShippingZone.objects.filter(shop_id__in=list(shop_ids))
        .prefetch_related(Prefetch("methods", queryset=methods))
        .order_by("shop_id", "name", "id")
    )


def zone_serves(zone: ShippingZone, *, country: str, region: str) -> bool:
    """Whether `zone` names this address (zones without countries are "everywhere else")."""
    if country not in {str(code) for code in zone.countries}:
        return False
    if not zone.regions:
        return True
    wanted = (region or "").strip().casefold()
    return any(wanted == str(name).strip().casefold() for name in zone.regions)


def method_price(method: ShippingMethod, parcel: Parcel) -> Decimal | None:
    """The method's price for the parcel; None when it cannot carry it (heavier than
    every weight tier)."""
    if method.kind == ShippingMethod.Kind.FREE_OVER:
        if method.free_above is not None and parcel.subtotal >= method.free_above:
            return Decimal("0.00")
        return method.price
    if method.kind == ShippingMethod.Kind.WEIGHT:
        for tier in method.tiers.all():
            if parcel.weight_kg <= tier.up_to_kg:
                return tier.price
        return None
    return method.price


def shipping_options(
    *, parcels: Iterable[Parcel], country: str, region: str = ""
) -> dict[int, list[ShippingOption]]:
    """The active methods each parcel's shop offers for the address, cheapest first (an
    empty list: the shop does not ship there). A shop's zones naming the country win over
    its "everywhere else" zone. The zones come from the cache (shipping.caching); the
    shops not cached are read in three queries whatever their number."""
    from shipping.caching import zones_of_shops

    parcels = list(parcels)
    zones_by_shop = zones_of_shops({parcel.shop_id for parcel in parcels})
    country = (country or "").upper()
    answer: dict[int, list[ShippingOption]] = {}
    for parcel in parcels:
        zones = zones_by_shop.get(parcel.shop_id, [])
        serving = [zone for zone in zones if zone_serves(zone, country=country, region=region)]
        if not serving and country:
            serving = [zone for zone in zones if not zone.countries]
        options = []
        for zone in serving:
            for method in zone.methods.all():
                if not method.is_active:
                    continue
                price = method_price(method, parcel)
                if price is None:
                    continue
                options.append(
                    ShippingOption(
                        method_id=method.pk,
                        shop_id=parcel.shop_id,
                        name=method.name,
                        kind=method.kind,
                        price=price,
                        currency=method.currency,
                        min_days=method.min_days,
                        max_days=method.max_days,
                    )
                )
        options.sort(key=lambda option: (option.price, option.max_days, option.method_id))
        answer[parcel.shop_id] = options
    return answer


def shipping_summary(*, shop_id: int) -> list[dict[str, Any]]:
    """Where a shop ships, as plain data for its page (shipping.caching caches it)."""
    summary = []
    for zone in shipping_zones(shop_ids=[shop_id]):
        methods = []
        for method in zone.methods.all():
            if not method.is_active:
                continue
            tiers = list(method.tiers.all())
            methods.append(
                {
                    "name": method.name,
                    "kind": method.kind,
                    "price": method.price,
                    "free_above": method.free_above,
                    "from_price": tiers[0].price if tiers else method.price,
                    "estimate": estimate_text(method.min_days, method.max_days),
                }
            )
        summary.append(
            {
                "name": zone.name,
                "countries": [country.name for country in zone.countries],
                "regions": list(zone.regions or []),
                "methods": methods,
            }
        )
    return summary
