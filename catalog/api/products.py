"""Products: the catalog (list, search, detail), and its writes by shop members and staff
(create, change, soft delete, images)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalog import caching, selectors, services
from catalog.filters import ProductFilter
from catalog.models import Category, Product, ProductImage
from core.pagination import PageNumberPagination
from core.rendering import json_bytes, json_response
from shops.selectors import shop_list

# --- Products -------------------------------------------------------------------------


class ShopSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategorySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


def absolute_media_url(request, file) -> str | None:
    """A stored file's URL, absolute when there is a request; None when there is no file."""
    if not file:
        return None
    return request.build_absolute_uri(file.url) if request is not None else file.url


class ProductImageSerializer(serializers.ModelSerializer):
    """`url` and `thumbnail_url` are absolute; `thumbnail_url` is null until it is made."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "alt"]
        read_only_fields = fields

    def get_url(self, image: ProductImage) -> str:
        return absolute_media_url(self.context.get("request"), image.image)

    def get_thumbnail_url(self, image: ProductImage) -> str | None:
        return absolute_media_url(self.context.get("request"), image.thumbnail)


class RatingSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True, help_text="One decimal; null if unrated.")
    count = serializers.IntegerField()


class ProductSerializer(serializers.ModelSerializer):
    """A product as lists and the detail show it (the same shape in both)."""

    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    in_stock = serializers.BooleanField(read_only=True)
    shop = ShopSummarySerializer(read_only=True)
    category = CategorySummarySerializer(read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    images = ProductImageSerializer(many=True, read_only=True)
    rating = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "price",
            "currency",
            "stock_quantity",
            "in_stock",
            "sku",
            "shop",
            "category",
            "tags",
            "images",
            "rating",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_tags(self, product: Product) -> list[str]:
        return [tag.name for tag in product.tags.all()]

    @extend_schema_field(RatingSerializer)
    def get_rating(self, product: Product) -> dict:
        average = product.rating_average
        if average is not None:
            average = float(Decimal(average).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        return {"average": average, "count": product.rating_count}


class ProductUpdateSerializer(serializers.Serializer):
    """A product's input. `price` takes a string or a number; `tags` is a list of names."""

    shop = serializers.IntegerField(
        required=False, help_text="A product stays in its shop: only its current shop is valid."
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    stock_quantity = serializers.IntegerField(min_value=0, required=False)
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=50
    )
    is_active = serializers.BooleanField(required=False)


class ProductCreateSerializer(ProductUpdateSerializer):
    shop = serializers.IntegerField(help_text="The id of a shop the caller manages.")


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part (binary in the schema, not a URL)."""


class ProductImageUploadSerializer(serializers.Serializer):
    image = UploadField(help_text="JPEG, PNG, WebP or GIF, at most 10 MB.")
    alt = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200)


class CatalogPagination(PageNumberPagination):
    """The API's pagination, with the count cached per filter set (catalog.caching)."""

    django_paginator_class = caching.CachedCountPaginator


class ProductViewSet(viewsets.ModelViewSet):
    """Products the caller may see: the public catalog, plus the inactive products of
    the caller's shops (all of them for platform staff). Members of a product's shop
    and platform staff change it; DELETE hides it from everyone (soft delete).

    Anonymous callers' lists and details are answered from the cache until the data
    under them changes (catalog.caching); everyone else's are read anew."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    pagination_class = CatalogPagination

    def list(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return super().list(request, *args, **kwargs)
        # The absolute address: it names the filters and the page, and the links of
        # `next` and `previous` are built from it.
        # Stored rendered (core.rendering): the JSON is made once, not on every hit.
        content = caching.list_read(
            key=f"products:{self.action}:json:{request.build_absolute_uri()}",
            build=lambda: json_bytes(
                super(ProductViewSet, self).list(request, *args, **kwargs).data
            ),
        )
        return json_response(request, content)

    def retrieve(self, request, *args, **kwargs):
        pk = str(kwargs.get(self.lookup_field, ""))
        if request.user.is_authenticated or not pk.isdigit() or len(pk) > 18:
            return super().retrieve(request, *args, **kwargs)

        def build():
            product = self.get_object()
            return json_bytes(self.get_serializer(product).data), product.shop_id

        # Image URLs are absolute: one answer per host the API is reached by. Stored
        # rendered (core.rendering).
        host = request.build_absolute_uri("/")
        content, _version, _ = caching.product_read(
            ref=f"id:{pk}", part=f"api-json:{host}", build=build
        )
        return json_response(request, content)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Product.objects.none()
        return selectors.product_with_relations(
            selectors.product_list_visible(user=self.request.user)
        )

    def filter_queryset(self, queryset):
        # The filters and sorts belong to the listings; a product's own address ignores them.
        if self.action in ("list", "search"):
            return super().filter_queryset(queryset)
        return queryset

    def _answer(self, product: Product, status_code: int = status.HTTP_200_OK) -> Response:
        product = self.get_queryset().get(pk=product.pk)
        return Response(
            ProductSerializer(product, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, required=True, description="Words to look for (typos tolerated)."
            )
        ],
        responses=ProductSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def search(self, request):
        """Full-text search ranked by relevance, with the same filters as the list."""
        SearchQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        return self.list(request)

    @extend_schema(request=ProductCreateSerializer, responses={201: ProductSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        shop = shop_list(user=request.user).filter(pk=data.pop("shop")).first()
        if shop is None:
            raise NotFound("No such shop.")
        product = services.product_create(user=request.user, shop=shop, data=data)
        return self._answer(product, status.HTTP_201_CREATED)

    @extend_schema(request=ProductUpdateSerializer, responses=ProductSerializer)
    def update(self, request, *args, **kwargs):
        product = self.get_object()
        serializer = ProductUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        # A product does not move shop: the service refuses another `shop`.
        product = services.product_update(
            user=request.user, product=product, data=serializer.validated_data
        )
        return self._answer(product)

    @extend_schema(request=ProductUpdateSerializer, responses=ProductSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.product_soft_delete(user=request.user, product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ProductImageUploadSerializer, responses={201: ProductImageSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="upload-image",
        parser_classes=[MultiPartParser, FormParser],
    )
    def upload_image(self, request, pk=None):
        """Add an image; its thumbnail is made in the background."""
        product = self.get_object()
        serializer = ProductImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.product_image_add(
            user=request.user,
            product=product,
            upload=serializer.validated_data["image"],
            alt=serializer.validated_data.get("alt", ""),
        )
        image.refresh_from_db(fields=["thumbnail"])  # made already when tasks run eagerly
        return Response(
            ProductImageSerializer(image, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
