"""Rules the catalog's services share: who manages a shop's products, what a price is,
and SKUs (unique per shop among live variants)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog import policies
from catalog.models import ProductVariant
from core.errors import DomainValidationError
from shops.exceptions import ShopPermissionDenied
from shops.models import Shop


def require_manager(*, user: User | None, shop: Shop | int, action: str = "change") -> None:
    """`user` None is a trusted caller (a task, a command, an import by an operator)."""
    if user is not None and not policies.may_manage_products(user, shop, action):
        raise ShopPermissionDenied(_("Only the shop's owners and staff may change its products."))


# What an amount's messages call it (`label` of validate_money).
MONEY_MESSAGES = {
    "price": (gettext_lazy("Enter a valid price."), gettext_lazy("The price cannot be negative.")),
    "regular price": (
        gettext_lazy("Enter a valid regular price."),
        gettext_lazy("The regular price cannot be negative."),
    ),
}


def validate_money(value: Any, *, field: str = "price", label: str = "price") -> Decimal:
    """A price as a Decimal of cents, not negative; a DomainValidationError on `field`."""
    invalid, negative = MONEY_MESSAGES[label]
    message = str(invalid)
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError) as exc:
        raise DomainValidationError(message, fields={field: [message]}) from exc
    if not amount.is_finite():
        raise DomainValidationError(message, fields={field: [message]})
    if amount < 0:
        message = str(negative)
        raise DomainValidationError(message, fields={field: [message]})
    if amount >= Decimal(10) ** 10:  # what a money column (12 digits, 2 places) holds
        message = _("Ensure that there are no more than 10 digits before the decimal point.")
        raise DomainValidationError(message, fields={field: [message]})
    return amount.quantize(Decimal("0.01"))


def skus_taken(*, shop: Shop | int, skus, exclude_ids=()) -> set[str]:
    """Which of these SKUs a live variant of the shop (other than `exclude_ids`) has."""
    shop_id = getattr(shop, "pk", shop)
    taken = ProductVariant.objects.filter(shop_id=shop_id, sku__in=list(skus), deleted_at=None)
    if exclude_ids:
        taken = taken.exclude(pk__in=list(exclude_ids))
    return set(taken.values_list("sku", flat=True))


def sku_error(sku: str, *, field: str = "sku") -> DomainValidationError:
    message = _("This shop already has a product with SKU %(sku)s.") % {"sku": sku}
    return DomainValidationError(message, fields={field: [message]})


def generate_sku(shop: Shop, *, avoid: set[str] = frozenset()) -> str:
    while True:
        sku = f"{shop.slug[:12].upper()}-{secrets.token_hex(4).upper()}"
        if sku not in avoid and not skus_taken(shop=shop, skus=[sku]):
            return sku


MAX_WEIGHT_KG = Decimal("99999.999")


def validate_weight(value, *, field: str = "weight_kg") -> Decimal | None:
    """A weight in kg (None: not given, the product's applies), from 0 to what the field
    holds, to the gram."""
    if value in (None, ""):
        return None
    try:
        weight = Decimal(str(value))
    except (ArithmeticError, ValueError) as exc:
        message = _("Not a weight.")
        raise DomainValidationError(message, fields={field: [message]}) from exc
    if not weight.is_finite() or weight < 0 or weight > MAX_WEIGHT_KG:
        message = _("A weight from 0 to %(most)s kg.") % {"most": MAX_WEIGHT_KG}
        raise DomainValidationError(message, fields={field: [message]})
    return weight.quantize(Decimal("0.001"))
