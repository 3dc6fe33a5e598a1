"""The search words of products (PostgreSQL full-text vectors), rewritten when a product,
its tags, its category or its variants (SKUs, option values) change."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from catalog.selectors import SEARCH_CONFIG

# --- Search index ----------------------------------------------------------------------


def _search_vector_sql(*, only_ids: bool) -> str:
    """The statement rewriting the search words: each product's tags, SKUs and option
    values gathered once per table (grouped, then joined by hash), not by a subquery per
    product, so that rewriting a whole catalog of a million stays linear. `only_ids`:
    limited to the products of the `ids` parameter."""
    ids = "product_id = ANY(%(ids)s)"
    where = (lambda column: f"WHERE {column} = ANY(%(ids)s)") if only_ids else (lambda _c: "")
    also = f"AND v.{ids}" if only_ids else ""
    return f"""
WITH tag_words AS (
    SELECT pt.product_id, string_agg(t.name, ' ') AS words
      FROM catalog_product_tags pt JOIN catalog_tag t ON t.id = pt.tag_id
     {where("pt.product_id")}
     GROUP BY pt.product_id
), sku_words AS (
    SELECT v.product_id, string_agg(v.sku, ' ') AS words
      FROM catalog_productvariant v
     WHERE v.deleted_at IS NULL {also}
     GROUP BY v.product_id
), option_words AS (
    SELECT o.product_id, string_agg(ov.value, ' ') AS words
      FROM catalog_productoptionvalue ov JOIN catalog_productoption o ON o.id = ov.option_id
     {where("o.product_id")}
     GROUP BY o.product_id
), vectors AS (
    SELECT p.id,
           setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(p.name, '')), 'A')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(tw.words, '')), 'B')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(c.name, '')), 'B')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(sw.words, '')), 'A')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(ow.words, '')), 'B')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(p.description, '')), 'C')
           AS vector
      FROM catalog_product p
      LEFT JOIN tag_words tw ON tw.product_id = p.id
      LEFT JOIN catalog_category c ON c.id = p.category_id
      LEFT JOIN sku_words sw ON sw.product_id = p.id
      LEFT JOIN option_words ow ON ow.product_id = p.id
     {where("p.id")}
)
UPDATE catalog_product AS p SET search_vector = vectors.vector
  FROM vectors WHERE vectors.id = p.id
"""  # noqa: S608  (a constant config name; product ids are bound parameters)


def product_search_index_update(*, product_ids: Iterable[int] | None = None) -> None:
    """Rewrite the search words of these products (all when None), in the caller's
    transaction, so that a change is searchable the moment it commits."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if product_ids is None:
            cursor.execute(_search_vector_sql(only_ids=False))
        else:
            ids = list(product_ids)
            if ids:
                cursor.execute(_search_vector_sql(only_ids=True), {"ids": ids})
