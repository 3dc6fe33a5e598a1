"""Sale prices: what a running sale makes of a price, where the price shows.

A sale (a `sale` promotion of the promotions app, which sits above the catalog and
registers its sales here: `register_sale_source`) lowers by a percentage or an amount
the prices of the shops, categories (with their sub-categories), products or variants
it names, between two times. When several reach a price, the lowest result wins (the
best single reduction); a price never goes below zero.

`apply_sale_prices` lays the sale prices over loaded products and variants, in memory:
`price` becomes the sale price and the regular one is kept in `regular_price` (and, for
a variant, shown as `compare_at_price`), so that every face (cards, the product page,
the API, the cart, checkout) shows and charges the same. Querysets do it when asked
(`Product.objects...priced()`, catalog.models.PricedQuerySet). Rows with a sale laid
over them cannot be saved (the regular price is the one stored).

Cached pages and answers built with a price book are kept no longer than the book's
`valid_until` (the next start or end of a sale): core.generations.valid_until.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from core import generations as gen

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def targets_reach(
    *,
    scope_shop_id: int | None,
    shop_ids: frozenset[int],
    category_ids: frozenset[int],
    product_ids: frozenset[int],
    variant_ids: frozenset[int],
    shop_id: int,
    category_id: int | None,
    product_id: int | None,
    variant_id: int | None,
) -> bool:
    """Whether a promotion's targets reach a variant, or (`variant_id` None) a whole
    product: its shop's promotion reaches that shop alone, `shop_ids` narrow a platform's,
    and nothing chosen is everything."""
    if scope_shop_id is not None and shop_id != scope_shop_id:
        return False
    if shop_ids and shop_id not in shop_ids:
        return False
    if not (category_ids or product_ids or variant_ids):
        return True
    if category_id in category_ids or product_id in product_ids:
        return True
    return variant_id is not None and variant_id in variant_ids


@dataclass(frozen=True)
class SaleRule:
    promotion_id: int
    name: str
    reward: str  # percentage, fixed
    value: Decimal
    starts_at: datetime
    ends_at: datetime
    shop_id: int | None = None  # a shop's sale reaches that shop alone
    shop_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()  # with their sub-categories
    product_ids: frozenset[int] = frozenset()
    variant_ids: frozenset[int] = frozenset()

    def reaches(
        self, *, shop_id: int, category_id: int | None, product_id: int, variant_id: int | None
    ) -> bool:
        """Whether the price of this product (`variant_id` None: its "from" price) or
        variant is in the sale."""
        return targets_reach(
            scope_shop_id=self.shop_id,
            shop_ids=self.shop_ids,
            category_ids=self.category_ids,
            product_ids=self.product_ids,
            variant_ids=self.variant_ids,
            shop_id=shop_id,
            category_id=category_id,
            product_id=product_id,
            variant_id=variant_id,
        )

    def price_of(self, price: Decimal) -> Decimal:
        if self.reward == "percentage":
            off = (price * self.value / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            off = self.value
        return max(ZERO, price - off)

    def running(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class PriceBook:
    """The sales running at one moment, and when that changes."""

    rules: tuple[SaleRule, ...] = ()
    valid_until: datetime | None = None

    def sale_price(
        self,
        *,
        price: Decimal,
        shop_id: int,
        category_id: int | None,
        product_id: int,
        variant_id: int | None = None,
    ) -> Decimal | None:
        """The lowest price a running sale makes of `price`, or None when none lowers it."""
        best = None
        for rule in self.rules:
            if rule.reaches(
                shop_id=shop_id,
                category_id=category_id,
                product_id=product_id,
                variant_id=variant_id,
            ):
                candidate = rule.price_of(price)
                if best is None or candidate < best:
                    best = candidate
        return best if best is not None and best < price else None


# --- Where sales come from ---------------------------------------------------------------

# Each source answers every sale not ended yet (running or to come): the promotions app.
_sources: list[Callable[[], Iterable[SaleRule]]] = []


def register_sale_source(source: Callable[[], Iterable[SaleRule]]) -> None:
    if source not in _sources:
        _sources.append(source)


def price_book(now: datetime | None = None) -> PriceBook:
    """The sales running now; what is being cached meanwhile is kept until they change."""
    now = now or timezone.now()
    rules = [rule for source in _sources for rule in source()]
    running = tuple(rule for rule in rules if rule.running(now))
    moments = [rule.starts_at for rule in rules if rule.starts_at > now]
    moments += [rule.ends_at for rule in rules if rule.ends_at > now]
    book = PriceBook(rules=running, valid_until=min(moments) if moments else None)
    gen.valid_until(book.valid_until)
    return book


# --- Laying sale prices over loaded rows ---------------------------------------------------


def _lay(obj, field: str, sale: Decimal | None) -> None:
    regular = getattr(obj, field)
    if field == "price":
        obj.regular_price = regular
    if sale is not None:
        setattr(obj, field, sale)
        obj._sale_overlay = True


def _product_keys(product) -> dict:
    return {
        "shop_id": product.shop_id,
        "category_id": product.category_id,
        "product_id": product.pk,
    }


def apply_sale_prices(rows: Iterable, book: PriceBook | None = None) -> None:
    """Lay the running sales over these products (and their prefetched variants) or
    variants (their product loaded, else read here in one query)."""
    from catalog.models import Product, ProductVariant

    rows = list(rows)
    if not rows:
        return
    book = book or price_book()
    products = [row for row in rows if isinstance(row, Product)]
    variants = [row for row in rows if isinstance(row, ProductVariant)]
    with_variants = []
    for product in products:
        if getattr(product, "regular_price", None) is not None:
            continue  # laid already
        cached = getattr(product, "_prefetched_objects_cache", {})
        loaded = [*cached.get("variants", ()), *getattr(product, "variant_list", ())]
        for variant in loaded:
            variant._state.fields_cache.setdefault("product", product)
            variants.append(variant)
        if loaded:  # its range from its variants' prices, once they are laid (below)
            product.regular_price = product.price
            with_variants.append((product, loaded))
            continue
        # A card: the sales that reach the whole product (one of some variants shows
        # where the variants do: the product's page and API, the cart).
        keys = _product_keys(product)
        _lay(product, "price", book.sale_price(price=product.price, **keys) if book.rules else None)
        if book.rules:
            sale_max = book.sale_price(price=product.price_max, **keys)
            if sale_max is not None:
                product.price_max = sale_max
    missing = {
        variant.product_id for variant in variants if "product" not in variant._state.fields_cache
    }
    loaded = (
        {
            p.pk: p
            for p in Product.objects.filter(pk__in=missing).only("pk", "shop_id", "category_id")
        }
        if missing and book.rules
        else {}
    )
    for variant in variants:
        if getattr(variant, "regular_price", None) is not None:
            continue
        sale = None
        if book.rules:
            product = variant._state.fields_cache.get("product") or loaded.get(variant.product_id)
            if product is not None:
                sale = book.sale_price(
                    price=variant.price, variant_id=variant.pk, **_product_keys(product)
                )
        _lay(variant, "price", sale)
        if sale is not None:
            variant.compare_at_price = max(variant.compare_at_price or ZERO, variant.regular_price)
    for product, loaded in with_variants:
        prices = [
            variant.price for variant in loaded if variant.is_active and not variant.deleted_at
        ]
        if prices and min(prices) < product.price:
            product.price = min(prices)
            product._sale_overlay = True
        if prices and any(getattr(v, "_sale_overlay", False) for v in loaded):
            product.price_max = max(prices)


def sale_price_of(variant) -> Decimal:
    """The price `variant` sells at now (its product loaded)."""
    apply_sale_prices([variant])
    return variant.price
