"""Writes of shipping: a shop's zones and methods, through its members (or staff)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries as all_countries

from accounts.models import User
from core.errors import DomainValidationError
from shipping import policies
from shipping.caching import shipping_changed
from shipping.exceptions import ShippingPermissionDenied
from shipping.models import ShippingMethod, ShippingWeightTier, ShippingZone
from shops.models import Shop

DEFAULT_ZONE_NAME = "Everywhere"
DEFAULT_METHOD = {
    "name": "Standard delivery",
    "kind": ShippingMethod.Kind.FLAT,
    "price": Decimal("0.00"),
    "min_days": 3,
    "max_days": 7,
}
MAX_TIERS = 50


def _require(by: User | None, shop: Shop) -> None:
    """`by` None is a trusted caller (a command, the demo data, a migration's twin)."""
    if by is not None and not policies.may_manage_shipping(by, shop):
        raise ShippingPermissionDenied()


def _invalid(field: str, message: str) -> DomainValidationError:
    return DomainValidationError(message, fields={field: [message]})


MAX_PRICE = Decimal("9999999999.99")  # what a price column holds (12 digits, 2 decimals)
MAX_WEIGHT = Decimal("99999.999")


def _number(value, field: str, *, most: Decimal, least: Decimal = Decimal("0")) -> Decimal:
    """`value` as a finite decimal from `least` to `most`, else a validation error."""
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError) as exc:
        raise _invalid(field, _("“%(value)s” is not a number.") % {"value": value}) from exc
    if not number.is_finite() or not least <= number <= most:
        raise _invalid(
            field, _("A number from %(least)s to %(most)s.") % {"least": least, "most": most}
        )
    return number


def _clean_zone(shop: Shop, data: dict[str, Any], *, zone: ShippingZone | None) -> dict:
    name = (data.get("name", zone.name if zone else "") or "").strip()
    if not name:
        raise _invalid("name", _("A zone needs a name."))
    codes = data.get("countries", list(zone.countries) if zone else [])
    cleaned = []
    for code in codes:
        code = str(code).strip().upper()
        if code not in dict(all_countries):
            raise _invalid("countries", _("“%(code)s” is not a country code.") % {"code": code})
        if code not in cleaned:
            cleaned.append(code)
    regions = data.get("regions", zone.regions if zone else [])
    regions = [str(region).strip() for region in regions or [] if str(region).strip()]
    if regions and not cleaned:
        raise _invalid("regions", _("Regions belong to the zone's countries: name them too."))
    others = ShippingZone.objects.filter(shop=shop).exclude(pk=zone.pk if zone else None)
    for other in others:
        shared = set(cleaned) & {str(code) for code in other.countries}
        regions_overlap = (
            not regions
            or not other.regions
            or {r.casefold() for r in regions} & {str(r).casefold() for r in other.regions}
        )
        if shared and regions_overlap:
            listed = ", ".join(sorted(shared))
            raise _invalid(
                "countries",
                _("%(countries)s already in the zone “%(zone)s”.")
                % {"countries": listed, "zone": other.name},
            )
        if not cleaned and not other.countries:
            raise _invalid(
                "countries",
                _("“%(zone)s” already serves everywhere else.") % {"zone": other.name},
            )
    return {"name": name[:100], "countries": cleaned, "regions": regions}


@transaction.atomic
def shipping_zone_create(*, shop: Shop, data: dict[str, Any], by: User | None) -> ShippingZone:
    """A zone of `shop`: countries (none: everywhere else), optionally some regions, and
    its methods if `data["methods"]` lists them."""
    _require(by, shop)
    zone = ShippingZone.objects.create(shop=shop, **_clean_zone(shop, data, zone=None))
    for method in data.get("methods") or []:
        shipping_method_create(zone=zone, data=method, by=None)
    shipping_changed(shop_id=shop.pk)
    return zone


@transaction.atomic
def shipping_zone_update(
    *, zone: ShippingZone, data: dict[str, Any], by: User | None
) -> ShippingZone:
    _require(by, zone.shop)
    for field, value in _clean_zone(zone.shop, data, zone=zone).items():
        setattr(zone, field, value)
    zone.save()
    shipping_changed(shop_id=zone.shop_id)
    return zone


@transaction.atomic
def shipping_zone_delete(*, zone: ShippingZone, by: User | None) -> None:
    """Orders keep their method's snapshot: removing a zone changes no order."""
    _require(by, zone.shop)
    zone.delete()
    shipping_changed(shop_id=zone.shop_id)


def _clean_method(data: dict[str, Any], *, method: ShippingMethod | None) -> tuple[dict, list]:
    def value(field: str, default=None):
        return data[field] if field in data else getattr(method, field, default)

    kind = value("kind", ShippingMethod.Kind.FLAT)
    if kind not in ShippingMethod.Kind.values:
        raise _invalid("kind", _("“%(kind)s” is not a kind of method.") % {"kind": kind})
    name = (value("name", "") or "").strip()
    if not name:
        raise _invalid("name", _("A method needs a name."))
    price = _number(value("price", Decimal("0.00")) or 0, "price", most=MAX_PRICE)
    currency = (value("currency", settings.DEFAULT_CURRENCY) or "").upper()
    if currency != settings.DEFAULT_CURRENCY:
        message = _("The shop sells in %(currency)s: methods charge in it too.") % {
            "currency": settings.DEFAULT_CURRENCY
        }
        raise _invalid("currency", message)
    free_above = value("free_above")
    if free_above is not None:
        free_above = _number(free_above, "free_above", most=MAX_PRICE)
    elif kind == ShippingMethod.Kind.FREE_OVER:
        raise _invalid("free_above", _("A free-above method needs the subtotal it is free from."))
    min_days = int(_number(value("min_days", 1), "min_days", most=Decimal(365)))
    max_days = int(_number(value("max_days", 5), "max_days", most=Decimal(365)))
    if min_days > max_days:
        raise _invalid("max_days", _("The longest estimate cannot be shorter than the shortest."))
    tiers = data.get("tiers")
    if tiers is None:
        tiers = (
            [{"up_to_kg": t.up_to_kg, "price": t.price} for t in method.tiers.all()]
            if method
            else []
        )
    cleaned_tiers: dict[Decimal, Decimal] = {}
    for tier in tiers:
        weight = _number(tier.get("up_to_kg"), "tiers", most=MAX_WEIGHT)
        tier_price = _number(tier.get("price"), "tiers", most=MAX_PRICE)
        if weight <= 0:
            raise _invalid("tiers", _("Each tier needs a weight above 0 and a price of 0 or more."))
        if weight in cleaned_tiers:
            raise _invalid("tiers", _("Two tiers end at %(weight)s kg.") % {"weight": weight})
        cleaned_tiers[weight] = tier_price
    if kind == ShippingMethod.Kind.WEIGHT and not cleaned_tiers:
        raise _invalid("tiers", _("A weight-based method needs at least one weight tier."))
    if len(cleaned_tiers) > MAX_TIERS:
        raise _invalid("tiers", _("At most %(count)d tiers.") % {"count": MAX_TIERS})
    fields = {
        "kind": kind,
        "name": name[:100],
        "price": price,
        "currency": currency,
        "free_above": free_above,
        "min_days": min_days,
        "max_days": max_days,
        "is_active": bool(value("is_active", True)),
        "position": int(value("position", 0) or 0),
    }
    return fields, sorted(cleaned_tiers.items())


def _write_tiers(method: ShippingMethod, tiers: list[tuple[Decimal, Decimal]]) -> None:
    method.tiers.all().delete()  # one DELETE: nothing listens to tiers
    ShippingWeightTier.objects.bulk_create(
        ShippingWeightTier(method=method, up_to_kg=weight, price=price) for weight, price in tiers
    )


@transaction.atomic
def shipping_method_create(
    *, zone: ShippingZone, data: dict[str, Any], by: User | None
) -> ShippingMethod:
    _require(by, zone.shop)
    fields, tiers = _clean_method(data, method=None)
    method = ShippingMethod.objects.create(zone=zone, **fields)
    _write_tiers(method, tiers)
    shipping_changed(shop_id=zone.shop_id)
    return method


@transaction.atomic
def shipping_method_update(
    *, method: ShippingMethod, data: dict[str, Any], by: User | None
) -> ShippingMethod:
    _require(by, method.zone.shop)
    fields, tiers = _clean_method(data, method=method)
    for field, value in fields.items():
        setattr(method, field, value)
    method.save()
    _write_tiers(method, tiers)
    shipping_changed(shop_id=method.zone.shop_id)
    return method


@transaction.atomic
def shipping_method_delete(*, method: ShippingMethod, by: User | None) -> None:
    _require(by, method.zone.shop)
    method.delete()
    shipping_changed(shop_id=method.zone.shop_id)


def shipping_default_zone_create(*, shop: Shop) -> ShippingZone:
    """A new shop's first zone: everywhere, standard delivery at no charge, which its
    members change (so that a new shop sells at once, as it did before shipping)."""
    zone = ShippingZone.objects.create(shop=shop, name=DEFAULT_ZONE_NAME, countries=[])
    ShippingMethod.objects.create(zone=zone, **DEFAULT_METHOD)
    shipping_changed(shop_id=shop.pk)
    return zone
