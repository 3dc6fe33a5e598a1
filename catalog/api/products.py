"""Products: the catalog (list, search, detail), and its writes by shop members and staff
(create, change, soft delete, images)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from catalog import caching, policies, selectors, services
from catalog.api.variants import (
    OptionSerializer,
    ProductVariantsMixin,
    VariantSerializer,
    options_field,
    variants_field,
)
from catalog.facets import product_facets
from catalog.filters import ProductFilter
from catalog.models import Category, Product, ProductImage
from core.pagination import PageNumberPagination
from core.rendering import json_bytes, json_response
from shops.selectors import shop_list
from taxes.models import TaxClass

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


READ_ACTIONS = frozenset({"list", "search", "retrieve"})


class PriceRangeSerializer(serializers.Serializer):
    min = serializers.DecimalField(max_digits=12, decimal_places=2)
    max = serializers.DecimalField(max_digits=12, decimal_places=2)


class ProductSerializer(serializers.ModelSerializer):
    """A product as lists show it; the detail adds its options and variants."""

    price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="The lowest price of its active variants (a running sale's price).",
    )
    compare_at_price = serializers.SerializerMethodField(
        help_text="During a sale, the regular price (`price` is the sale's); else null."
    )
    price_range = serializers.SerializerMethodField()
    variant_count = serializers.IntegerField(
        read_only=True, help_text="How many of its variants are on sale."
    )
    in_stock = serializers.BooleanField(
        read_only=True, help_text="True when any active variant is in stock."
    )
    stock_quantity = serializers.IntegerField(
        read_only=True, help_text="The stock of its active variants together."
    )
    sku = serializers.SerializerMethodField(
        help_text="The SKU of its one variant; null when it has several (see `variants`)."
    )
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
            "compare_at_price",
            "price_range",
            "variant_count",
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

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_compare_at_price(self, product: Product) -> str | None:
        regular = getattr(product, "regular_price", None)
        return f"{regular:.2f}" if regular is not None and regular > product.price else None

    @extend_schema_field(PriceRangeSerializer)
    def get_price_range(self, product: Product) -> dict:
        return {"min": f"{product.price:.2f}", "max": f"{product.price_max:.2f}"}

    def get_sku(self, product: Product) -> str | None:
        return getattr(product, "single_sku", None)

    def get_tags(self, product: Product) -> list[str]:
        return [tag.name for tag in product.tags.all()]

    @extend_schema_field(RatingSerializer)
    def get_rating(self, product: Product) -> dict:
        average = product.rating_average
        if average is not None:
            average = float(Decimal(average).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        return {"average": average, "count": product.rating_count}


class ProductDetailSerializer(ProductSerializer):
    """A product's own address: the card's fields, its options and its variants (the
    active ones; all live ones for those who manage it)."""

    options = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "tax_class", "weight_kg", "options", "variants"]
        read_only_fields = fields

    @extend_schema_field(OptionSerializer(many=True))
    def get_options(self, product: Product) -> list[dict]:
        return [
            {"name": option.name, "values": [value.value for value in option.values.all()]}
            for option in product.option_list
        ]

    @extend_schema_field(VariantSerializer(many=True))
    def get_variants(self, product: Product) -> list[dict]:
        variants = product.variant_list
        if not self.context.get("manager"):
            variants = [variant for variant in variants if variant.is_active]
        context = {**self.context, "options": product.option_list}
        return VariantSerializer(variants, many=True, context=context).data


class ProductUpdateSerializer(serializers.Serializer):
    """A product's input. `price` takes a string or a number; `tags` is a list of names.
    A product with one variant takes `price`, `sku` and `stock_quantity` for it; a
    product with options takes `options` and `variants` instead."""

    shop = serializers.IntegerField(
        required=False, help_text="A product stays in its shop: only its current shop is valid."
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=50
    )
    is_active = serializers.BooleanField(required=False)
    tax_class = serializers.ChoiceField(
        choices=TaxClass.choices, required=False, help_text="How its sales are taxed."
    )
    weight_kg = serializers.DecimalField(
        max_digits=8,
        decimal_places=3,
        min_value=0,
        allow_null=True,
        required=False,
        help_text="Per unit, for weight-based shipping (a variant's own weight wins).",
    )
    options = options_field()
    variants = variants_field()

    def to_internal_value(self, data):
        """`price` is required (as a field) unless `variants` carry the prices; a PATCH
        needs neither."""
        errors: dict = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = dict(exc.detail)
        given = data if hasattr(data, "get") else {}
        if not self.partial and given.get("variants") is None and given.get("price") in (None, ""):
            errors.setdefault("price", [serializers.Field.default_error_messages["required"]])
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ProductCreateSerializer(ProductUpdateSerializer):
    shop = serializers.IntegerField(help_text="The id of a shop the caller manages.")


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part (binary in the schema, not a URL)."""


class ProductImageUploadSerializer(serializers.Serializer):
    image = UploadField(help_text="JPEG, PNG, WebP or GIF, at most 10 MB.")
    alt = serializers.CharField(max_length=200, required=False, allow_blank=True)


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class OptionFacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    values = FacetValueSerializer(many=True)


class RelatedFacetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class RatingFacetSerializer(serializers.Serializer):
    min_rating = serializers.IntegerField()
    count = serializers.IntegerField()


class PriceFacetSerializer(serializers.Serializer):
    min = serializers.DecimalField(max_digits=12, decimal_places=2)
    max = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="null: no upper bound"
    )
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    """How many products each filter value would show; each facet's counts respect
    every other active filter (not its own)."""

    options = OptionFacetSerializer(many=True)
    categories = RelatedFacetSerializer(many=True)
    shops = RelatedFacetSerializer(many=True)
    tags = RelatedFacetSerializer(many=True)
    ratings = RatingFacetSerializer(many=True)
    prices = PriceFacetSerializer(many=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200)


class CatalogPagination(PageNumberPagination):
    """The API's pagination, with the count cached per filter set (catalog.caching)."""

    django_paginator_class = caching.CachedCountPaginator


class ProductViewSet(ProductVariantsMixin, viewsets.ModelViewSet):
    """Products the caller may see: the public catalog, plus the inactive products of
    the caller's shops (all of them for platform staff). Members of a product's shop
    and platform staff change it; DELETE hides it from everyone (soft delete).

    The lists and details of those who see the public catalog (anonymous callers, and
    signed-in people who neither manage a shop nor are staff: selectors.sees_public_catalog)
    are answered from the cache until the data under them changes (catalog.caching);
    everyone else's are read anew."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    pagination_class = CatalogPagination

    def _list_cache_key(self, request) -> str:
        # The absolute address: it names the filters and the page, and the links of
        # `next` and `previous` are built from it. Asked twice a request (the read ahead).
        if getattr(request, "_list_cache_key", None) is None:
            request._list_cache_key = f"products:{self.action}:json:{request.build_absolute_uri()}"
        return request._list_cache_key

    def cache_read_ahead_keys(self, request) -> list[str]:
        """The cache keys of an anonymous list's answer, read in the rate limit's round
        trip (core.security.throttles)."""
        if self.action in ("list", "search", "facets") and self._public(request):
            return caching.list_read_keys(key=self._list_cache_key(request))
        return []

    def _public(self, request) -> bool:
        """The caller sees what an anonymous visitor sees (asked once a request)."""
        if getattr(request, "_sees_public_catalog", None) is None:
            request._sees_public_catalog = selectors.sees_public_catalog(request.user)
        return request._sees_public_catalog

    def list(self, request, *args, **kwargs):
        if not self._public(request):
            return super().list(request, *args, **kwargs)
        # Stored rendered (core.rendering): the JSON is made once, not on every hit.
        content = caching.list_read(
            key=self._list_cache_key(request),
            build=lambda: json_bytes(
                super(ProductViewSet, self).list(request, *args, **kwargs).data
            ),
            read_ahead=getattr(request, "cache_read_ahead", None),
        )
        return json_response(request, content)

    def _cached_retrieve(self, request, pk: str):
        def build():
            product = self.get_object()
            return json_bytes(self._detail(product)), product.shop_id

        # Image URLs are absolute: one answer per host the API is reached by. Stored
        # rendered (core.rendering).
        host = request.build_absolute_uri("/")
        content, _version, _extras = caching.product_read(
            ref=f"id:{pk}", part=f"api-json:{host}", build=build
        )
        return json_response(request, content)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Product.objects.none()
        visible = selectors.product_list_visible(user=self.request.user)
        if self.action in ("retrieve", "create", "update", "partial_update"):
            products = selectors.product_with_variants(visible)
        else:
            products = selectors.product_with_relations(visible)
        # Answers show the running sales' prices (catalog.pricing); rows to be changed
        # keep the stored ones.
        return products.priced() if self.action in READ_ACTIONS else products

    def get_serializer_class(self):
        if self.action in ("list", "search"):
            return ProductSerializer
        return ProductDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        pk = str(kwargs.get(self.lookup_field, ""))
        if not self._public(request) or not pk.isdigit() or len(pk) > 18:
            product = self.get_object()
            return Response(self._detail(product))
        return self._cached_retrieve(request, pk)

    def _detail(self, product: Product) -> dict:
        user = self.request.user
        context = {
            **self.get_serializer_context(),
            "manager": user.is_authenticated
            and policies.may_manage_products(user, product.shop_id),
        }
        return ProductDetailSerializer(product, context=context).data

    def filter_queryset(self, queryset):
        # The filters and sorts belong to the listings; a product's own address ignores them.
        if self.action in ("list", "search"):
            return super().filter_queryset(queryset)
        return queryset

    def _answer(self, product: Product, status_code: int = status.HTTP_200_OK) -> Response:
        product = self.get_queryset().priced().get(pk=product.pk)
        return Response(self._detail(product), status=status_code)

    @extend_schema(
        operation_id="products_search",
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

    @extend_schema(operation_id="products_facets", filters=True, responses=FacetsSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def facets(self, request):
        """Counts per option value, category, shop, tag, rating and price bucket under the
        list's filters (the same parameters), for a faceted sidebar."""

        def build() -> dict:
            # The filters checked here, not on every hit: an address that does not
            # validate answers 400 and is never cached, so a cached one was valid.
            filterset = ProductFilter(request.query_params, queryset=self.get_queryset())
            if not filterset.is_valid():
                raise serializers.ValidationError(filterset.errors)
            base = selectors.product_list_visible(user=request.user)
            return product_facets(base=base, data=request.query_params)

        if not self._public(request):
            return Response(build())
        content = caching.list_read(
            key=self._list_cache_key(request),
            build=lambda: json_bytes(build()),
            timeout=caching.FACETS_TIMEOUT,
            read_ahead=getattr(request, "cache_read_ahead", None),
        )
        return json_response(request, content)

    @extend_schema(request=ProductCreateSerializer, responses={201: ProductDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        shop = shop_list(user=request.user).filter(pk=data.pop("shop")).first()
        if shop is None:
            raise NotFound(_("No such shop."))
        product = services.product_create(user=request.user, shop=shop, data=data)
        return self._answer(product, status.HTTP_201_CREATED)

    @extend_schema(request=ProductUpdateSerializer, responses=ProductDetailSerializer)
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

    @extend_schema(request=ProductUpdateSerializer, responses=ProductDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.product_soft_delete(user=request.user, product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="products_upload_image",
        request=ProductImageUploadSerializer,
        responses={201: ProductImageSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="upload-image",
        parser_classes=[MultiPartParser],
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
