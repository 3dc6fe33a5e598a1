"""Reading recommendations: "frequently bought together" (the counted pairs, at least
`RECOMMENDATIONS_MIN_SUPPORT` orders), "similar products" (same category, shared tags
and the names' trigram similarity on PostgreSQL; category and tags alone on SQLite),
"recently viewed" (catalog.viewed) and the popular products (the baseline the
evaluation compares with).

Only products for sale and in stock are recommended, never the product itself. What a
product page shows is cached while both the catalog's generation (any product change:
a price, a stock level, a product switched off) and the recommendations' (the counts)
stand: one cache round trip and no query when warm. The visitor's cart is taken out at
render time, from what the header already read (cart.context_processors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, F, FloatField, IntegerField, Q, Sum, Value, When

from catalog import selectors as catalog_selectors
from catalog.caching import CATALOG_GENERATION, PRODUCT_TIMEOUT
from catalog.models import Product
from core import generations
from recommendations.models import ProductPair
from recommendations.services import GENERATION, counted_orders

LIMIT = 8
# Ranked candidates read per kind: enough to fill LIMIT after the products that are
# sold out, switched off or in the visitor's cart are left out.
CANDIDATES = 24


def recommendable(product_ids: Iterable[int]) -> list[Product]:
    """These products as cards (catalog.selectors.product_cards), in the order given,
    leaving out what is not for sale or sold out."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return []
    found = {
        product.pk: product
        for product in catalog_selectors.product_cards(
            catalog_selectors.product_list_public().filter(pk__in=ids, stock_quantity__gt=0)
        )
    }
    return [found[product_id] for product_id in ids if product_id in found]


def bought_together_ids(product_ids: Iterable[int], *, limit: int = CANDIDATES) -> list[int]:
    """The products most often bought with these (summed over them), strongest first."""
    ids = list(product_ids)
    if not ids:
        return []
    return list(
        ProductPair.objects.filter(
            product_id__in=ids, orders__gte=settings.RECOMMENDATIONS_MIN_SUPPORT
        )
        .exclude(other_id__in=ids)
        .values("other_id")
        .annotate(score=Sum("orders"))
        .order_by("-score", "other_id")
        .values_list("other_id", flat=True)[:limit]
    )


def similar_ids(
    product: Product, *, limit: int = CANDIDATES, exclude: Iterable[int] = ()
) -> list[int]:
    """Products like this one: in its category or sharing its tags, ranked by
    2 * same category + shared tags (+ 2 * name similarity on PostgreSQL). One query: its
    tags are read inside it."""
    tag_ids = Product.tags.through.objects.filter(product_id=product.pk).values("tag_id")
    near = Q(tags__in=tag_ids)
    if product.category_id:
        near |= Q(category_id=product.category_id)
    candidates = (
        catalog_selectors.product_list_public()
        .filter(near, stock_quantity__gt=0)
        .exclude(pk__in=[product.pk, *exclude])
        .annotate(
            shared=Count("tags", filter=Q(tags__in=tag_ids), distinct=True),
            same_category=Case(
                When(category_id=product.category_id, then=Value(2)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        candidates = candidates.annotate(
            text=TrigramSimilarity("name", product.name),
            score=F("same_category") + F("shared") + 2 * F("text"),
        )
    else:
        candidates = candidates.annotate(
            score=(F("same_category") + F("shared")) * Value(1.0, output_field=FloatField())
        )
    return list(
        candidates.order_by("-score", "-rating_count", "-id").values_list("pk", flat=True)[:limit]
    )


def popular_ids(*, limit: int = CANDIDATES, exclude: Iterable[int] = ()) -> list[int]:
    """The products in the most paid orders."""
    return list(
        counted_orders()
        .filter(lines__product__isnull=False)
        .exclude(lines__product_id__in=list(exclude))
        .values("lines__product_id")
        .annotate(orders=Count("pk", distinct=True))
        .order_by("-orders", "lines__product_id")
        .values_list("lines__product_id", flat=True)[:limit]
    )


def cached(key: str, build, *, read_ahead: dict | None = None):
    """`build()`'s value, kept while the catalog and the recommendations stand;
    `read_ahead`: `cached_keys(key)` as read already (core.generations.read_through)."""
    return generations.read_through(
        key,
        build,
        generation=(CATALOG_GENERATION, GENERATION),
        timeout=PRODUCT_TIMEOUT,
        read_ahead=read_ahead,
    )


def cached_keys(key: str) -> list[str]:
    """The cache keys `cached(key, ...)` reads."""
    return generations.read_keys(key, generation=(CATALOG_GENERATION, GENERATION))


def for_product(product: Product) -> dict[str, list[Product]]:
    """A product page's recommendations: {"bought_together": cards, "similar": cards}."""

    def build() -> dict[str, list[Product]]:
        together = bought_together_ids([product.pk])
        similar = [pk for pk in similar_ids(product) if pk not in together]
        cards = {card.pk: card for card in recommendable([*together, *similar])}
        return {
            "bought_together": [cards[pk] for pk in together if pk in cards][: LIMIT * 2],
            "similar": [cards[pk] for pk in similar if pk in cards][: LIMIT * 2],
        }

    return cached(f"recs:product:{product.pk}", build)


def for_products(products: Iterable[Product]) -> list[Product]:
    """What goes with a set of products (a cart's): bought with them, else like the
    first of them."""
    products = sorted({product.pk: product for product in products}.values(), key=lambda p: p.pk)
    ids = [product.pk for product in products]
    if not ids:
        return []

    def build() -> list[Product]:
        together = bought_together_ids(ids)
        if len(together) < LIMIT:
            similar = similar_ids(products[0], exclude=[*ids, *together])
            together += similar
        return recommendable(together)[: LIMIT * 2]

    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=12).hexdigest()
    return cached(f"recs:products:{digest}", build)


def cards_for(product_ids: list[int]) -> list[Product]:
    """Cards of these products (recently viewed), cached like the recommendations."""
    if not product_ids:
        return []
    key = ",".join(map(str, product_ids))
    digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return cached(f"recs:cards:{digest}", lambda: recommendable(product_ids))


def without(cards: list[Product], product_ids: Iterable[int], *, limit: int = LIMIT):
    """`cards` less the products in `product_ids` (the visitor's cart), at most `limit`."""
    leave_out = set(product_ids)
    return [card for card in cards if card.pk not in leave_out][:limit]
