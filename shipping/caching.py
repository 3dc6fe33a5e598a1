"""Where a shop ships, as its page shows it, cached while the shop's shipping generation
stands (core.generations): bumped when one of its zones, methods or tiers is saved or
deleted (the signals connected in `connect_signals`, shipping.apps)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from core import generations

SHIPPING_GENERATION = "shipping:gen:shop:{}"
TIMEOUT = 60 * 60


def shop_shipping_read(*, shop_id: int) -> list[dict[str, Any]]:
    """The shop's zones as plain data: name, country names, regions, and the active
    methods (name, kind, price, free_above, lowest tier price, estimate)."""
    from shipping.selectors import shipping_summary

    return generations.read_through(
        f"shipping:shop:{shop_id}",
        lambda: shipping_summary(shop_id=shop_id),
        generation=SHIPPING_GENERATION.format(shop_id),
        timeout=TIMEOUT,
    )


def _shop_of(instance) -> int | None:
    from shipping.models import ShippingMethod, ShippingWeightTier, ShippingZone

    if isinstance(instance, ShippingZone):
        return instance.shop_id
    if isinstance(instance, ShippingMethod):
        zone = instance._state.fields_cache.get("zone")
        if zone is not None:
            return zone.shop_id
        return (
            ShippingZone.objects.filter(pk=instance.zone_id)
            .values_list("shop_id", flat=True)
            .first()
        )
    if isinstance(instance, ShippingWeightTier):
        return (
            ShippingMethod.objects.filter(pk=instance.method_id)
            .values_list("zone__shop_id", flat=True)
            .first()
        )
    return None


def _changed(sender, instance, **kwargs) -> None:
    shop_id = _shop_of(instance)
    if shop_id is not None:
        generations.bump([SHIPPING_GENERATION.format(shop_id)])


def connect_signals() -> None:
    from shipping.models import ShippingMethod, ShippingWeightTier, ShippingZone

    for model in (ShippingZone, ShippingMethod, ShippingWeightTier):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                _changed, sender=model, dispatch_uid=f"shipping_cache_{model.__name__}_{name}"
            )
