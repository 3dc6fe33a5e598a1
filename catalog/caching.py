"""The catalog's caches of hot reads, and what empties them.

Cached reads are keyed by *generations*: short random tokens kept in the cache and
replaced ("bumped") when the data under them changes, so that every key built on an
old token is never read again (and expires on its own). Three kinds:

- the catalog generation: any change to a product, image, review, shop, category or tag;
  product lists (their counts, the anonymous API pages and the listing pages' HTML) are
  keyed by it;
- one generation per shop: a change to the shop, one of its products (stock and price
  included), their images or reviews; a product's page shows the product and "more from
  the shop", so it is keyed by its shop's generation;
- the taxonomy generation: categories and tags (breadcrumbs, tag names).

Generations are bumped at once and again after commit (core.generations). Saves and
deletes are caught by the model
signals connected in `connect_signals` (catalog.apps); writers that bypass them
(`QuerySet.update`, bulk inserts, raw SQL) call `products_changed` or `shops_changed`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation
from django.utils.functional import cached_property

from core import generations as gen

CATALOG_GENERATION = "catalog:gen"
TAXONOMY_GENERATION = "catalog:gen:taxonomy"
SHOP_GENERATION = "catalog:gen:shop:{}"

PRODUCT_TIMEOUT = 10 * 60  # a product's cached page data and API answer
LIST_TIMEOUT = 60  # anonymous API list pages
# The HTML of the listing pages (catalog.views): kept longer than an API page, as a miss
# renders the filters and the cards too; a change is shown at once all the same (the
# catalog generation), the timeout only frees the memory of addresses no one asks for.
PAGE_TIMEOUT = 5 * 60
COUNT_TIMEOUT = 5 * 60  # the number of products matching a filter set
# The facets of a filter set: as long as its count, as they cost seconds to count again
# over a million products (bench/scale.md) and the generation empties them at any change.
FACETS_TIMEOUT = 5 * 60

T = TypeVar("T")


def shop_generation_key(shop_id: int) -> str:
    return SHOP_GENERATION.format(shop_id)


def generations(keys: list[str]) -> list[str]:
    """The current tokens of these generations (in order), starting any that is missing."""
    return gen.current(keys)


def catalog_generation() -> str:
    return generations([CATALOG_GENERATION])[0]


def catalog_changed(*, shop_ids: Iterable[int | None] = (), taxonomy: bool = False) -> None:
    """Empty the cached reads that these shops' changes (and a taxonomy change) reach."""
    keys = [CATALOG_GENERATION]
    keys += [shop_generation_key(shop_id) for shop_id in sorted(set(shop_ids) - {None})]
    if taxonomy:
        keys.append(TAXONOMY_GENERATION)
    gen.bump(keys)


def shops_changed(*, shop_ids: Iterable[int | None]) -> None:
    catalog_changed(shop_ids=shop_ids)


def products_changed(*, product_ids: Iterable[int]) -> None:
    """For writers that change products without saving them (`QuerySet.update`)."""
    from catalog.models import Product

    ids = sorted(set(product_ids))
    if ids:
        shops_changed(
            shop_ids=Product.objects.filter(pk__in=ids)
            .order_by()
            .values_list("shop_id", flat=True)
            .distinct()
        )


# --- Signals --------------------------------------------------------------------------


def _shop_of_product_child(instance) -> int | None:
    """The shop of an image's or review's product, without a query when it is loaded."""
    from catalog.models import Product

    product = instance._state.fields_cache.get("product")
    if product is not None:
        return product.shop_id
    return Product.objects.filter(pk=instance.product_id).values_list("shop_id", flat=True).first()


def _product_saved(sender, instance, **kwargs) -> None:
    shops_changed(shop_ids=[instance.shop_id])


def _product_child_saved(sender, instance, **kwargs) -> None:
    shops_changed(shop_ids=[_shop_of_product_child(instance)])


def _shop_saved(sender, instance, **kwargs) -> None:
    shops_changed(shop_ids=[instance.pk])


def _taxonomy_saved(sender, instance, **kwargs) -> None:
    catalog_changed(taxonomy=True)


def _product_tags_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # tag.products.add(...): the products named, or all of the tag's
        from catalog.models import Product

        products = Product.objects.all()
        products = products.filter(pk__in=pk_set) if pk_set else products.filter(tags=instance)
        shops_changed(shop_ids=set(products.values_list("shop_id", flat=True)))
    else:
        shops_changed(shop_ids=[instance.shop_id])


def connect_signals() -> None:
    from catalog.models import Category, Product, ProductImage, ProductVariant, Review, Tag
    from shops.models import Shop

    for signal in (post_save, post_delete):
        signal.connect(_product_saved, sender=Product, dispatch_uid="catalog-cache-product")
        signal.connect(_product_saved, sender=ProductVariant, dispatch_uid="catalog-cache-variant")
        for model in (ProductImage, Review):
            signal.connect(
                _product_child_saved, sender=model, dispatch_uid=f"catalog-cache-{model.__name__}"
            )
        signal.connect(_shop_saved, sender=Shop, dispatch_uid="catalog-cache-shop")
        for model in (Category, Tag):
            signal.connect(
                _taxonomy_saved, sender=model, dispatch_uid=f"catalog-cache-{model.__name__}"
            )
    m2m_changed.connect(
        _product_tags_changed, sender=Product.tags.through, dispatch_uid="catalog-cache-tags"
    )


# --- Product reads --------------------------------------------------------------------


# A product's shop, by the product's slug or id, kept in the process: a product never
# moves to another shop, so this saves a round trip on every hit. A slug freed by a
# rename and taken by a product of another shop is caught by the version (which names
# the shop) stored beside each value (`product_read`).
_product_shops: dict[str, int] = {}
_PRODUCT_SHOPS_MAX = 100_000


def product_version(*, ref: str, shop_id: int, horizon: gen.Horizon | None = None) -> str:
    """The version of a product's cached reads: its shop's and the taxonomy's generations,
    and after "~" the moment its prices change (a sale starts or ends: `horizon`)."""
    shop, taxonomy = generations([shop_generation_key(shop_id), TAXONOMY_GENERATION])
    return f"{ref}.{shop_id}.{shop}.{taxonomy}~{horizon.stamp if horizon else ''}"


def version_current(stored: str, current: str) -> bool:
    """A value stored at version `stored` may be served at `current`: the same generations,
    and the moment its prices change not reached (core.generations.stamp_valid)."""
    stored_base, _sep, stamp = stored.partition("~")
    return stored_base == current.partition("~")[0] and gen.stamp_valid(stamp)


def version_until(version: str):
    """The moment a version's prices change, for a build that reuses its rows."""
    from datetime import UTC, datetime

    stamp = version.partition("~")[2]
    return datetime.fromtimestamp(float(stamp), tz=UTC) if stamp else None


def product_read(
    *,
    ref: str,
    part: str,
    build: Callable[[], tuple[T, int]],
    timeout: int = PRODUCT_TIMEOUT,
    also: Iterable[str] = (),
) -> tuple[T, str, dict[str, Any]]:
    """A read about one product (`ref`: "slug:..." or "id:..."), from the cache while its
    shop's and the taxonomy's generations stand; answers it, the version it was read
    at, and what the cache holds under the keys `also` (read in the same round trip).
    `build()` answers the value and the product's shop id, or raises (Http404: nothing
    is cached). One cache round trip on a hit, no query."""
    # In the reader's language: parts hold translated words (stock labels, reviewers).
    key = f"catalog:product:{_language()}:{part}:{ref}"
    also = list(also)
    version = None
    extras: dict[str, Any] | None = None
    shop_id = _product_shops.get(ref)
    if shop_id is not None:
        shop_key = shop_generation_key(shop_id)
        found = cache.get_many([key, shop_key, TAXONOMY_GENERATION, *also])
        extras = {name: found[name] for name in also if name in found}
        if shop_key in found and TAXONOMY_GENERATION in found:
            # Read before building: a change committed meanwhile is not stored as current.
            version = f"{ref}.{shop_id}.{found[shop_key]}.{found[TAXONOMY_GENERATION]}"
            stored = found.get(key)
            if stored is not None and version_current(stored[0], version):
                gen.valid_until(version_until(stored[0]))
                return stored[1], stored[0], extras
    with gen.building() as horizon:
        value, built_shop_id = build()
    if built_shop_id != shop_id:
        if len(_product_shops) >= _PRODUCT_SHOPS_MAX:
            _product_shops.clear()
        _product_shops[ref] = built_shop_id
        version = None
    if version is None:
        version = product_version(ref=ref, shop_id=built_shop_id, horizon=horizon)
    else:
        version = f"{version}~{horizon.stamp}"
    cache.set(key, (version, value), timeout=timeout)
    if extras is None:
        extras = cache.get_many(also) if also else {}
    return value, version, extras


def product_part_if_current(
    *, ref: str, key: str, also: Iterable[str] = ()
) -> tuple[Any | None, dict[str, Any]]:
    """What the cache holds under `key` (stored as `(version, value)`) when it was stored
    at the product's current version, None otherwise or when this process has not read
    the product yet; with the keys `also` as read in the same round trip ({key: value},
    a missing one as None; empty when nothing was read). One round trip, without reading
    or building the product itself."""
    shop_id = _product_shops.get(ref)
    if shop_id is None:
        return None, {}
    also = list(also)
    shop_key = shop_generation_key(shop_id)
    found = cache.get_many([shop_key, TAXONOMY_GENERATION, key, *also])
    ahead = {name: found.get(name) for name in also}
    stored = found.get(key)
    if stored is None or shop_key not in found or TAXONOMY_GENERATION not in found:
        return None, ahead
    version = f"{ref}.{shop_id}.{found[shop_key]}.{found[TAXONOMY_GENERATION]}"
    return (stored[1] if version_current(stored[0], version) else None), ahead


class ProductFragments:
    """The cached parts of a product page (catalog.templatetags.catalog_cache), each
    stored with the version it shows and used only at that version. `vary` names what
    else they depend on (the selected image, the review page); the language is part of
    their keys."""

    def __init__(self, *, ref: str, vary: str) -> None:
        digest = hashlib.blake2b(vary.encode(), digest_size=8).hexdigest()
        # HTML in the reader's language: one set of parts per language.
        self.prefix = f"catalog:fragment:{_language()}:{ref}:{digest}:"
        self.version = ""
        self.found: dict[str, Any] = {}

    def keys(self, names: Iterable[str]) -> list[str]:
        return [self.prefix + name for name in names]

    def use(self, *, version: str, found: dict[str, Any]) -> ProductFragments:
        self.version, self.found = version, found
        return self

    def fetch(self, *, version: str, names: Iterable[str]) -> ProductFragments:
        """Read the fragments at `version` (when the product was not read with them)."""
        return self.use(version=version, found=cache.get_many(self.keys(names)))

    def get(self, name: str) -> str | None:
        stored = self.found.get(self.prefix + name)
        return (
            stored[1] if stored is not None and version_current(stored[0], self.version) else None
        )

    def store(self, name: str, html: str) -> None:
        cache.set(self.prefix + name, (self.version, html), timeout=PRODUCT_TIMEOUT)


def taxonomy_read(*, key: str, build: Callable[[], T], timeout: int = PRODUCT_TIMEOUT) -> T:
    """A read of the categories or tags alone, cached while the taxonomy generation stands."""
    return gen.read_through(key, build, generation=TAXONOMY_GENERATION, timeout=timeout)


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _list_key(key: str) -> str:
    """A list's key, in the reader's language (its HTML and JSON hold translated words)."""
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"catalog:list:{_language()}:{digest}"


def list_read_keys(*, key: str) -> list[str]:
    """The cache keys `list_read(key=key)` reads, for a read ahead."""
    return [_list_key(key), CATALOG_GENERATION]


def list_read(
    *,
    key: str,
    build: Callable[[], T],
    timeout: int = LIST_TIMEOUT,
    read_ahead: dict[str, object] | None = None,
) -> T:
    """A read of the whole catalog (a list page), cached while the catalog generation
    stands; `read_ahead`: `list_read_keys` as read already (core.generations)."""
    return gen.read_through(
        _list_key(key),
        build,
        generation=CATALOG_GENERATION,
        timeout=timeout,
        read_ahead=read_ahead,
    )


def page_read(
    *, key: str, build: Callable[[], T], also: tuple[str, ...] = (), timeout: int = PAGE_TIMEOUT
) -> T:
    """A whole page of the catalog (catalog.views.whole_page), cached while the catalog
    generation stands and `also` (other generations the page shows) do."""
    generation = (CATALOG_GENERATION, *also) if also else CATALOG_GENERATION
    return gen.read_through(_list_key(key), build, generation=generation, timeout=timeout)


# --- Counts ---------------------------------------------------------------------------


def queryset_count(queryset: QuerySet) -> int:
    """`queryset.count()`, cached per filter set (the query's SQL and parameters) while the
    catalog generation stands, at most COUNT_TIMEOUT: a listing does not count 100,000
    rows on every page."""
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # `.none()`, or a filter no row can match
        return 0
    digest = hashlib.blake2b(f"{sql}|{params!r}".encode(), digest_size=16).hexdigest()
    return gen.read_through(
        f"catalog:count:{digest}",
        queryset.count,
        generation=CATALOG_GENERATION,
        timeout=COUNT_TIMEOUT,
    )


class CachedCountPaginator(Paginator):
    """A paginator of catalog querysets whose count comes from `queryset_count`."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return queryset_count(self.object_list)
        return super().count
