"""Reads of the catalog: querysets already joined and limited to what the caller may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)

from catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductOption,
    ProductVariant,
    Review,
    Tag,
)
from catalog.policies import may_manage_products, may_view_all_products
from shops.selectors import user_shop_ids

CATEGORY_TREE_CACHE_KEY = "catalog:category-tree:v1"
SEARCH_CONFIG = "english"
MAX_SEARCH_WORDS = 8  # more words narrow nothing a shopper means, and cost every engine


# --- Categories ------------------------------------------------------------------------


def category_tree_build() -> list[dict[str, Any]]:
    """The whole tree as nested dicts (roots first), read from the database (one query)."""
    rows = list(Category.objects.values("id", "name", "slug", "parent_id", "position"))
    nodes = {row["id"]: {**row, "children": []} for row in rows}
    roots = []
    for row in rows:
        node = nodes[row["id"]]
        parent = nodes.get(row["parent_id"])
        (parent["children"] if parent else roots).append(node)
    return roots


def category_tree() -> list[dict[str, Any]]:
    """The whole tree as nested dicts (roots first), cached while the taxonomy generation
    stands (a category or tag saved or deleted bumps it: catalog.caching)."""
    from catalog.caching import taxonomy_read

    return taxonomy_read(key=CATEGORY_TREE_CACHE_KEY, build=category_tree_build, timeout=60 * 60)


def _walk(nodes: Iterable[dict[str, Any]]):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def category_find(value: str | int) -> dict[str, Any] | None:
    """A node of the tree by id or slug."""
    text = str(value).strip()
    for node in _walk(category_tree()):
        if str(node["id"]) == text or node["slug"] == text:
            return node
    return None


def category_descendant_ids(value: str | int) -> list[int]:
    """The category (by id or slug) and every category below it; empty if unknown."""
    node = category_find(value)
    return [child["id"] for child in _walk([node])] if node else []


def category_ancestors(category_id: int) -> list[dict[str, Any]]:
    """Root first, down to the category itself (for breadcrumbs)."""

    def path_to(nodes, trail):
        for node in nodes:
            if node["id"] == category_id:
                return [*trail, node]
            found = path_to(node["children"], [*trail, node])
            if found:
                return found
        return None

    return path_to(category_tree(), []) or []


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").prefetch_related("children")


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.all()


# --- Products --------------------------------------------------------------------------


def for_sale(prefix: str = "") -> Q:
    """The one rule of what can be bought (and what the catalog shows everyone): a
    published product, not deleted, of an open shop. `prefix` reaches it from another
    model ("product__")."""
    return Q(
        **{
            f"{prefix}is_active": True,
            f"{prefix}deleted_at__isnull": True,
            f"{prefix}shop__is_active": True,
        }
    )


def product_is_for_sale(product: Product) -> bool:
    """`for_sale()` of one product already loaded (with its shop)."""
    return bool(product.is_active and product.deleted_at is None and product.shop.is_active)


def variant_for_sale(prefix: str = "") -> Q:
    """What can be bought is a variant: active and not deleted, of a product for sale.
    `prefix` reaches it from another model ("variant__")."""
    return for_sale(f"{prefix}product__") & Q(
        **{f"{prefix}is_active": True, f"{prefix}deleted_at__isnull": True}
    )


def variant_is_for_sale(variant: ProductVariant) -> bool:
    """`variant_for_sale()` of one variant already loaded (with its product and shop)."""
    return bool(
        variant.is_active and variant.deleted_at is None and product_is_for_sale(variant.product)
    )


def variants_live(product: Product) -> QuerySet[ProductVariant]:
    """A product's variants that are not deleted (inactive ones included), in order."""
    return ProductVariant.objects.filter(product=product, deleted_at__isnull=True).order_by(
        "position", "id"
    )


def product_options(product_id: int) -> list[ProductOption]:
    """A product's options with their values, in order (two queries)."""
    return list(
        ProductOption.objects.filter(product_id=product_id)
        .order_by("position", "id")
        .prefetch_related("values")
    )


def variants_visible(*, product: Product, user) -> QuerySet[ProductVariant]:
    """A product's live variants: all of them for those who manage it, else the active."""
    variants = variants_live(product)
    if user.is_authenticated and may_manage_products(user, product.shop_id):
        return variants
    return variants.filter(is_active=True)


def variants_visible_all(*, user) -> QuerySet[ProductVariant]:
    """Every variant `user` may read: the active ones of the products they may see, and
    all live ones of the products they manage."""
    variants = ProductVariant.objects.filter(deleted_at__isnull=True).select_related("product")
    if may_view_all_products(user):
        return variants
    shop_ids = user_shop_ids(user=user) if user.is_authenticated else set()
    return variants.filter((Q(is_active=True) & variant_for_sale()) | Q(shop_id__in=shop_ids))


def _live(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.filter(deleted_at__isnull=True)


def product_list_public() -> QuerySet[Product]:
    """What the catalog shows everyone: what is for sale."""
    return Product.objects.filter(for_sale())


def sees_public_catalog(user) -> bool:
    """`user` sees the catalog as an anonymous visitor does: not staff who may view
    every product, a member of no shop. Their lists and product answers hold nothing
    personal, so they are the shared cached ones (no query: the memberships are cached)."""
    if not getattr(user, "is_authenticated", False):
        return True
    return not may_view_all_products(user) and not user_shop_ids(user=user)


def product_list_visible(*, user) -> QuerySet[Product]:
    """The public catalog, plus inactive products of the caller's shops (all, for staff
    who may view products).

    Soft-deleted products are visible to nobody: orders keep their own snapshot.
    """
    if may_view_all_products(user):
        return _live(Product.objects.all())
    shop_ids = user_shop_ids(user=user)
    if not shop_ids:
        return product_list_public()
    return _live(Product.objects.filter(for_sale() | Q(shop_id__in=shop_ids)))


def product_with_relations(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Everything the API's product card shows, in a fixed number of queries;
    `single_sku` is the SKU of its one variant on sale (None when it has several)."""
    one_sku = (
        ProductVariant.objects.filter(
            product=OuterRef("pk"), deleted_at__isnull=True, is_active=True
        )
        .order_by("position", "id")
        .values("sku")[:1]
    )
    return (
        queryset.select_related("shop", "category")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .annotate(
            single_sku=Case(
                When(variant_count=1, then=Subquery(one_sku)),
                default=None,
                output_field=CharField(),
            )
        )
    )


def colour_options() -> Prefetch:
    """A product's Colour option and its values (`colour_options`), for the pages' cards'
    swatches (catalog.templatetags.shop_tags.swatches): one query, two with colours."""
    return Prefetch(
        "options",
        queryset=ProductOption.objects.filter(
            Q(name__iexact="colour") | Q(name__iexact="color")
        ).prefetch_related("values"),
        to_attr="colour_options",
    )


def product_cards(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """What the pages' product cards show: the API card's relations and the swatches, at
    the prices of the running sales (catalog.pricing)."""
    return product_with_relations(queryset).prefetch_related(colour_options()).priced()


def product_with_variants(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """A card's relations and what a product's detail adds: its options with their
    values (`option_list`) and its live variants (`variant_list`), in a fixed number of
    queries however many variants there are."""
    return product_with_relations(queryset).prefetch_related(
        Prefetch(
            "options",
            queryset=ProductOption.objects.order_by("position", "id").prefetch_related("values"),
            to_attr="option_list",
        ),
        Prefetch(
            "variants",
            queryset=ProductVariant.objects.filter(deleted_at__isnull=True).order_by(
                "position", "id"
            ),
            to_attr="variant_list",
        ),
    )


def variant_options(variant: ProductVariant, options: list[ProductOption]) -> dict[str, str]:
    """{option name: value} of a variant, in the options' order, from its combination
    (the ids of its values) and its product's options with their values prefetched
    (product_with_variants, product_options): no query."""
    names = {
        str(value.pk): (option.name, value.value)
        for option in options
        for value in option.values.all()
    }
    ids = variant.combination.split("-") if variant.combination else []
    return dict(names[value_id] for value_id in ids if value_id in names)


def product_search(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Products matching `query`, annotated with `rank` (higher is better).

    PostgreSQL: full-text match on name, tags, category, variant SKUs, option values and
    description, or a name close to a query word (trigram word similarity, for typos),
    ranked by both. SQLite: every word must appear in one of those.
    Only the first MAX_SEARCH_WORDS words count.
    """
    words = query.split()[:MAX_SEARCH_WORDS]
    if not words:
        return queryset.none()
    query = " ".join(words)
    if connection.vendor == "postgresql":
        text_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        similarity = TrigramWordSimilarity(query, "name")
        return queryset.annotate(
            rank=SearchRank(F("search_vector"), text_query) + similarity
        ).filter(Q(search_vector=text_query) | Q(name__trigram_word_similar=query))
    # One condition per word, tags through EXISTS rather than a join per word (joins
    # multiply rows: thirty words once locked the whole quickstart database).
    for word in words:
        in_tags = Exists(
            Product.tags.through.objects.filter(
                product_id=OuterRef("pk"), tag__name__icontains=word
            )
        )
        in_variants = Exists(
            ProductVariant.objects.filter(
                Q(sku__icontains=word) | Q(option_values__value__icontains=word),
                product_id=OuterRef("pk"),
                deleted_at__isnull=True,
            )
        )
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(category__name__icontains=word)
            | in_tags
            | in_variants
        )
    return queryset.annotate(rank=F("rating_count") * 0)


# What a review shows of its author (a name, never the email or the password hash, which
# would otherwise travel into the cached product pages).
REVIEWER_FIELDS = ("user__id", "user__first_name", "user__last_name")


def review_list(*, product: Product) -> QuerySet[Review]:
    return (
        Review.objects.filter(product=product)
        .select_related("user")
        .only(*(field.name for field in Review._meta.concrete_fields), *REVIEWER_FIELDS)
    )


def review_list_visible(*, user) -> QuerySet[Review]:
    """Reviews of the products `user` may see."""
    return Review.objects.filter(product__in=product_list_visible(user=user)).select_related(
        "user", "product"
    )
