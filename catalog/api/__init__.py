"""The catalog API, by subject: taxonomy (categories/, tags/, the category tree),
products (products/, with search and images) and reviews (products/{id}/reviews/,
reviews/). Reads go through catalog.selectors, writes through catalog.services."""

from catalog.api.products import (
    CatalogPagination,
    CategorySummarySerializer,
    ProductCreateSerializer,
    ProductImageSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    ProductViewSet,
    ShopSummarySerializer,
    absolute_media_url,
)
from catalog.api.reviews import (
    ProductReviewViewSet,
    ReviewInputSerializer,
    ReviewSerializer,
    ReviewViewSet,
    reviewer_name,
)
from catalog.api.taxonomy import (
    CategoryPermission,
    CategorySerializer,
    CategoryTreeView,
    CategoryViewSet,
    TagSerializer,
    TagViewSet,
)
from catalog.api.variants import VariantSerializer, VariantViewSet

__all__ = [
    "CatalogPagination",
    "CategoryPermission",
    "CategorySerializer",
    "CategorySummarySerializer",
    "CategoryTreeView",
    "CategoryViewSet",
    "ProductCreateSerializer",
    "ProductImageSerializer",
    "ProductReviewViewSet",
    "ProductSerializer",
    "ProductUpdateSerializer",
    "ProductViewSet",
    "ReviewInputSerializer",
    "ReviewSerializer",
    "ReviewViewSet",
    "ShopSummarySerializer",
    "TagSerializer",
    "TagViewSet",
    "VariantSerializer",
    "VariantViewSet",
    "absolute_media_url",
    "reviewer_name",
]
