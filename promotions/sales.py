"""Sales as the catalog prices them (catalog.pricing): every sale not ended yet, read
once per change of the sales and kept in the cache; a sale written or removed empties
the catalog's cached pages (their prices changed)."""

from __future__ import annotations

from django.utils import timezone

from catalog.caching import catalog_changed
from catalog.pricing import SaleRule
from core import generations as gen
from promotions.models import Promotion
from promotions.selectors import targets_of, with_targets

SALES_GENERATION = "promotions:gen:sales"
SALES_KEY = "promotions:sales"


def _rules() -> list[SaleRule]:
    sales = (
        Promotion.objects.filter(
            kind=Promotion.Kind.SALE, is_active=True, ends_at__gt=timezone.now()
        )
        .exclude(starts_at__isnull=True)
        .order_by("pk")
    )
    with_targets(sales)
    rules = []
    for sale in sales:
        rules.append(
            SaleRule(
                promotion_id=sale.pk,
                name=sale.name,
                reward=sale.reward,
                value=sale.value,
                starts_at=sale.starts_at,
                ends_at=sale.ends_at,
                shop_id=sale.shop_id,
                **targets_of(sale),
            )
        )
    return rules


def sale_rules() -> list[SaleRule]:
    """Every sale running or to come (catalog.pricing's source)."""
    return gen.read_through(SALES_KEY, _rules, generation=SALES_GENERATION, timeout=60 * 60)


def sales_changed() -> None:
    gen.bump([SALES_GENERATION])
    catalog_changed(taxonomy=True)


def _categories_changed(sender, **kwargs) -> None:
    """A sale of a category reaches its sub-categories as they are now: read the sales
    again (the catalog's own caches are emptied by the catalog)."""
    gen.bump([SALES_GENERATION])


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from catalog.models import Category

    for signal in (post_save, post_delete):
        signal.connect(_categories_changed, sender=Category, dispatch_uid="promotions-sales-tree")
