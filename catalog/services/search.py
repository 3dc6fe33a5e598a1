"""The search words of products (PostgreSQL full-text vectors), rewritten when a product,
its tags, its category or its variants (SKUs, option values) change."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from catalog.selectors import SEARCH_CONFIG

# --- Search index ----------------------------------------------------------------------

_SEARCH_VECTOR_SQL = f"""
UPDATE catalog_product AS p SET search_vector =
    setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(p.name, '')), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
        (SELECT string_agg(t.name, ' ') FROM catalog_tag t
           JOIN catalog_product_tags pt ON pt.tag_id = t.id
          WHERE pt.product_id = p.id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
        (SELECT c.name FROM catalog_category c WHERE c.id = p.category_id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
        (SELECT string_agg(v.sku, ' ') FROM catalog_productvariant v
          WHERE v.product_id = p.id AND v.deleted_at IS NULL), '')), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
        (SELECT string_agg(ov.value, ' ') FROM catalog_productoptionvalue ov
           JOIN catalog_productoption o ON o.id = ov.option_id
          WHERE o.product_id = p.id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(p.description, '')), 'C')
"""  # noqa: S608  (a constant config name; product ids are bound parameters)


def product_search_index_update(*, product_ids: Iterable[int] | None = None) -> None:
    """Rewrite the search words of these products (all when None), in the caller's
    transaction, so that a change is searchable the moment it commits."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if product_ids is None:
            cursor.execute(_SEARCH_VECTOR_SQL)
        else:
            ids = list(product_ids)
            if ids:
                cursor.execute(_SEARCH_VECTOR_SQL + " WHERE p.id = ANY(%s)", [ids])
