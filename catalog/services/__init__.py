"""Writes and business rules of the catalog (docs/architecture.md), by subject:

- products: create, change, publish, soft-delete (and the one currency);
- images: upload, thumbnails, change, delete;
- reviews: reviews, ratings, the registered purchase checkers;
- tags and categories: the taxonomy, managed by platform staff;
- search: the products' search words;
- variants: options, variants and the products' summary of them;
- stock: low-stock alerts to owners (per variant);
- imports: a shop's products from CSV.

Every public function is importable from here, as before the split.
"""

from catalog.services.categories import category_create, category_delete, category_update
from catalog.services.images import (
    ALLOWED_IMAGE_FORMATS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    THUMBNAIL_SIZE,
    image_validate,
    product_image_add,
    product_image_delete,
    product_image_make_thumbnail,
    product_image_update,
)
from catalog.services.imports import (
    IMPORT_BATCH_SIZE,
    IMPORT_COLUMNS,
    IMPORT_REQUIRED_COLUMNS,
    IMPORT_TAG_SEPARATOR,
    ProductImportError,
    ProductImportResult,
    ProductImportRow,
    product_import_rows_read,
    products_import,
)
from catalog.services.products import (
    PRODUCT_FIELDS,
    catalog_currency,
    product_create,
    product_soft_delete,
    product_update,
    products_set_active,
)
from catalog.services.reviews import (
    product_rating_refresh,
    register_purchase_checker,
    review_create,
    review_delete,
    review_update,
)
from catalog.services.search import product_search_index_update
from catalog.services.stock import (
    variants_low_stock_check,
    variants_low_stock_check_locked,
    variants_low_stock_reset,
)
from catalog.services.tags import tag_update, tags_delete, tags_get_or_create
from catalog.services.variants import (
    options_clean,
    product_options_set,
    products_summary_refresh,
    variant_create,
    variant_delete,
    variant_update,
    variants_generate,
)

__all__ = [
    "ALLOWED_IMAGE_FORMATS",
    "IMPORT_BATCH_SIZE",
    "IMPORT_COLUMNS",
    "IMPORT_REQUIRED_COLUMNS",
    "IMPORT_TAG_SEPARATOR",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "PRODUCT_FIELDS",
    "THUMBNAIL_SIZE",
    "ProductImportError",
    "ProductImportResult",
    "ProductImportRow",
    "catalog_currency",
    "category_create",
    "category_delete",
    "category_update",
    "image_validate",
    "options_clean",
    "product_create",
    "product_image_add",
    "product_image_delete",
    "product_image_make_thumbnail",
    "product_image_update",
    "product_import_rows_read",
    "product_options_set",
    "product_rating_refresh",
    "product_search_index_update",
    "product_soft_delete",
    "product_update",
    "products_import",
    "products_set_active",
    "products_summary_refresh",
    "register_purchase_checker",
    "review_create",
    "review_delete",
    "review_update",
    "tag_update",
    "tags_delete",
    "tags_get_or_create",
    "variant_create",
    "variant_delete",
    "variant_update",
    "variants_generate",
    "variants_low_stock_check",
    "variants_low_stock_check_locked",
    "variants_low_stock_reset",
]
