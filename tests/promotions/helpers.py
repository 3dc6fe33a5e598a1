"""Promotions made through the services, as staff and owners make them."""

from datetime import timedelta

from django.utils import timezone

from promotions.services import promotion_create


def code_promotion(code: str, *, shop=None, **data):
    """A code promotion with the one code `code` (10% off unless told otherwise)."""
    fields = {"name": data.pop("name", f"Promotion {code}"), "reward": "percentage", "value": "10"}
    fields.update(data)
    return promotion_create(shop=shop, data={**fields, "code": code}, by=None)


def past(**delta):
    return timezone.now() - timedelta(**(delta or {"days": 1}))


def future(**delta):
    return timezone.now() + timedelta(**(delta or {"days": 1}))


def running_sale(*, reward="percentage", value="10", name="Sale", shop=None, **targets):
    """A sale that started an hour ago and ends in an hour, on `targets` (products=[...],
    variants=[...], categories=[...], shops=[...])."""
    now = timezone.now()
    return promotion_create(
        shop=shop,
        data={
            "name": name,
            "kind": "sale",
            "reward": reward,
            "value": value,
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=1),
            **targets,
        },
        by=None,
    )
