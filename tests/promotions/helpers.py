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
