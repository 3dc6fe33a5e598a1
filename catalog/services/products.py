"""Products: created, changed, published and soft-deleted by the members of their shop (or
platform staff)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.caching import products_changed
from catalog.models import Product, ProductVariant
from catalog.services.common import require_manager, validate_money
from catalog.services.search import product_search_index_update
from catalog.services.tags import tags_get_or_create
from catalog.services.variants import product_variants_write
from core.errors import DomainValidationError
from shops.models import Shop
from shops.services import unique_slug

# --- Products --------------------------------------------------------------------------

# The product's own fields; what it sells (price, SKU, stock) is its variants'
# (catalog.services.variants), which `data` may carry too.
PRODUCT_FIELDS = ("name", "description", "category", "is_active", "tax_class", "weight_kg")


@transaction.atomic
def product_create(*, user: User | None, shop: Shop, data: dict[str, Any]) -> Product:
    """A member of `shop` (or platform staff) adds a product; `tags` is a list of names.
    Without `options` and `variants` it gets one variant of `price`, `sku` (made up when
    blank) and `stock_quantity`."""
    require_manager(user=user, shop=shop, action="add")
    product = Product(shop=shop, currency=catalog_currency())
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    if "variants" not in data:
        product.price = validate_money(data.get("price"))
    else:
        product.price = Decimal("0.00")  # the variants' summary replaces it below
    product.price_max = product.price
    product.stock_quantity = 0
    product.slug = unique_slug(Product, product.name or "product", max_length=220)
    product.full_clean(exclude=["slug"])
    product.save()
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    product_variants_write(product=product, data=data, creating=True)
    product.refresh_from_db()
    return product


def catalog_currency() -> str:
    """The currency every price is in (one per site; DEFAULT_CURRENCY)."""
    from django.conf import settings

    return settings.DEFAULT_CURRENCY


@transaction.atomic
def product_update(*, user: User | None, product: Product, data: dict[str, Any]) -> Product:
    require_manager(user=user, shop=product.shop)
    shop = data.get("shop", product.shop_id)
    if getattr(shop, "pk", shop) != product.shop_id:
        message = _("A product cannot move to another shop.")
        raise DomainValidationError(message, fields={"shop": [message]})
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    product.full_clean(exclude=["slug"])
    # Only the fields given are written: the row may have changed since `product` was
    # read (stock taken by checkouts), and what was not asked for must stay as it is.
    written = [field for field in PRODUCT_FIELDS if field in data]
    product.save(update_fields=[*written, "updated_at"])
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    product_variants_write(product=product, data=data)
    product_search_index_update(product_ids=[product.pk])
    product.refresh_from_db()
    return product


@transaction.atomic
def product_soft_delete(*, user: User, product: Product) -> None:
    """Hidden from the catalog and search for everyone; orders keep their snapshot."""
    require_manager(user=user, shop=product.shop, action="delete")
    product.deleted_at = timezone.now()
    product.is_active = False
    product.save(update_fields=["deleted_at", "is_active", "updated_at"])
    # Its SKUs are free again: the SKU rule counts live variants only.
    ProductVariant.objects.filter(product=product, deleted_at=None).update(
        deleted_at=product.deleted_at, updated_at=product.deleted_at
    )


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
            require_manager(user=user, shop=shop_id)
    changed = Product.objects.filter(pk__in=ids, deleted_at__isnull=True).update(
        is_active=is_active, updated_at=timezone.now()
    )
    products_changed(product_ids=ids)  # an update() sends no signal: empty the caches
    return changed
