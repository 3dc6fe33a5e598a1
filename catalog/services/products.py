"""Products: created, changed, published and soft-deleted by the members of their shop (or
platform staff)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from catalog import policies
from catalog.caching import products_changed
from catalog.models import Product
from catalog.services.search import product_search_index_update
from catalog.services.stock import products_low_stock_reset
from catalog.services.tags import tags_get_or_create
from core.errors import DomainValidationError
from shops.exceptions import ShopPermissionDenied
from shops.models import Shop
from shops.services import unique_slug

# --- Products --------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "description", "price", "stock_quantity", "category", "is_active")


def _require_manager(*, user: User | None, shop: Shop | int, action: str = "change") -> None:
    """`user` None is a trusted caller (a task, a command, an import by an operator)."""
    if user is not None and not policies.may_manage_products(user, shop, action):
        raise ShopPermissionDenied("Only the shop's owners and staff may change its products.")


def _sku_taken(*, shop: Shop, sku: str, exclude_pk: int | None = None) -> bool:
    taken = Product.objects.filter(shop=shop, sku=sku, deleted_at__isnull=True)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def _sku_error(sku: str) -> DomainValidationError:
    message = f"This shop already has a product with SKU {sku}."
    return DomainValidationError(message, fields={"sku": [message]})


def _generate_sku(shop: Shop) -> str:
    while True:
        sku = f"{shop.slug[:12].upper()}-{secrets.token_hex(4).upper()}"
        if not _sku_taken(shop=shop, sku=sku):
            return sku


def _validate_price(price: Any) -> Decimal:
    try:
        price = Decimal(str(price))
    except (ArithmeticError, ValueError) as exc:
        raise DomainValidationError(
            "Enter a valid price.", fields={"price": ["Enter a valid price."]}
        ) from exc
    if not price.is_finite():
        raise DomainValidationError(
            "Enter a valid price.", fields={"price": ["Enter a valid price."]}
        )
    if price < 0:
        message = "The price cannot be negative."
        raise DomainValidationError(message, fields={"price": [message]})
    return price.quantize(Decimal("0.01"))


@transaction.atomic
def product_create(*, user: User, shop: Shop, data: dict[str, Any]) -> Product:
    """A member of `shop` (or platform staff) adds a product; `tags` is a list of names."""
    _require_manager(user=user, shop=shop, action="add")
    product = Product(shop=shop, currency=catalog_currency())
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    product.price = _validate_price(data.get("price"))
    sku = (data.get("sku") or "").strip()
    if sku and _sku_taken(shop=shop, sku=sku):
        raise _sku_error(sku)
    product.sku = sku or _generate_sku(shop)
    product.slug = unique_slug(Product, product.name or "product", max_length=220)
    product.full_clean(exclude=["slug"])
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # the same SKU saved at the same moment
        raise _sku_error(product.sku) from exc
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    product_search_index_update(product_ids=[product.pk])
    return product


def catalog_currency() -> str:
    """The currency every price is in (one per site; DEFAULT_CURRENCY)."""
    from django.conf import settings

    return settings.DEFAULT_CURRENCY


@transaction.atomic
def product_update(*, user: User, product: Product, data: dict[str, Any]) -> Product:
    _require_manager(user=user, shop=product.shop)
    shop = data.get("shop", product.shop_id)
    if getattr(shop, "pk", shop) != product.shop_id:
        message = "A product cannot move to another shop."
        raise DomainValidationError(message, fields={"shop": [message]})
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    if "price" in data:
        product.price = _validate_price(data["price"])
    if "sku" in data:
        sku = (data.get("sku") or "").strip()
        if not sku:
            sku = product.sku
        elif sku != product.sku and _sku_taken(shop=product.shop, sku=sku, exclude_pk=product.pk):
            raise _sku_error(sku)
        product.sku = sku
    product.full_clean()
    # Only the fields given are written: the row may have changed since `product` was
    # read (stock taken by checkouts), and what was not asked for must stay as it is.
    written = [field for field in (*PRODUCT_FIELDS, "price", "sku") if field in data]
    try:
        with transaction.atomic():
            product.save(update_fields=[*written, "updated_at"])
    except IntegrityError as exc:
        raise _sku_error(product.sku) from exc
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    if "stock_quantity" in data:
        products_low_stock_reset(product_ids=[product.pk])
    product_search_index_update(product_ids=[product.pk])
    return product


@transaction.atomic
def product_soft_delete(*, user: User, product: Product) -> None:
    """Hidden from the catalog and search for everyone; orders keep their snapshot."""
    _require_manager(user=user, shop=product.shop, action="delete")
    product.deleted_at = timezone.now()
    product.is_active = False
    product.save(update_fields=["deleted_at", "is_active", "updated_at"])


@transaction.atomic
def products_set_active(
    *, products: Iterable[Product], is_active: bool, user: User | None = None
) -> int:
    """Publish or hide products (soft-deleted ones stay hidden). When `user` is given,
    they must manage the shop of every product (platform staff manage all), else
    nothing changes; None is a trusted caller (a task, a script)."""
    ids = [product.pk for product in products]
    if user is not None:
        # The shops as stored, not as the caller's (possibly partly loaded) objects say.
        shop_ids = Product.objects.filter(pk__in=ids).values_list("shop_id", flat=True)
        for shop_id in set(shop_ids):
            _require_manager(user=user, shop=shop_id)
    changed = Product.objects.filter(pk__in=ids, deleted_at__isnull=True).update(
        is_active=is_active, updated_at=timezone.now()
    )
    products_changed(product_ids=ids)  # an update() sends no signal: empty the caches
    return changed
