"""Variants over the API: their shape inside a product, their input, and the sellers'
endpoints (products/{id}/variants/, variants/{id}/). The rules are the services'
(catalog.services.variants); this module only reads, converts and answers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog import selectors, services
from catalog.models import MAX_OPTIONS, MAX_VARIANTS, ProductVariant
from catalog.pricing import apply_sale_prices
from taxes.models import TaxClass


class OptionSerializer(serializers.Serializer):
    """An option of a product and its values, in order."""

    name = serializers.CharField(max_length=60)
    values = serializers.ListField(
        child=serializers.CharField(max_length=100), min_length=1, max_length=100
    )


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(read_only=True)
    options = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="{option name: value}; {} for the one variant of a product without options.",
    )
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    compare_at_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The regular price, shown struck through when higher than `price`.",
    )
    stock_quantity = serializers.IntegerField(read_only=True)
    in_stock = serializers.BooleanField(read_only=True)
    image_id = serializers.IntegerField(read_only=True, allow_null=True)
    is_active = serializers.BooleanField(read_only=True)
    weight_kg = serializers.DecimalField(
        max_digits=8,
        decimal_places=3,
        read_only=True,
        allow_null=True,
        help_text="Null: the product's weight.",
    )
    tax_class = serializers.CharField(read_only=True, help_text="Empty: the product's class.")

    def to_representation(self, variant: ProductVariant) -> dict:
        options = self.context.get("options")
        if options is None:
            options = selectors.product_options(variant.product_id)
        data = super().to_representation(variant)
        data["options"] = selectors.variant_options(variant, options)
        return data


class VariantInputSerializer(serializers.Serializer):
    """A variant's input: without `id` a new one; with `id` that one changed (only the
    fields given)."""

    id = serializers.IntegerField(min_value=1, required=False)
    sku = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Left empty, one is made up."
    )
    price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    compare_at_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    stock_quantity = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    options = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="{option name: value}, one value of each of the product's options.",
    )
    image_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=10**6, required=False)
    weight_kg = serializers.DecimalField(
        max_digits=8, decimal_places=3, min_value=0, allow_null=True, required=False
    )
    tax_class = serializers.ChoiceField(
        choices=[("", "The product's"), *TaxClass.choices], required=False, allow_blank=True
    )


class VariantCreateSerializer(VariantInputSerializer):
    id = None
    price = serializers.DecimalField(max_digits=12, decimal_places=2)


def options_field() -> serializers.ListField:
    return serializers.ListField(
        child=OptionSerializer(),
        required=False,
        max_length=MAX_OPTIONS,
        help_text=f"Replaces the options: at most {MAX_OPTIONS}, each with its values in order.",
    )


def variants_field() -> serializers.ListField:
    return serializers.ListField(
        child=VariantInputSerializer(),
        required=False,
        min_length=1,
        max_length=MAX_VARIANTS,
        help_text=(
            "Replaces the variants: entries with `id` change that variant, entries without "
            "create one, live variants not listed are removed."
        ),
    )


def variant_context(view, product) -> dict:
    return {**view.get_serializer_context(), "options": selectors.product_options(product.pk)}


class ProductVariantsMixin:
    """`products/{id}/variants/` on the product viewset."""

    @extend_schema(
        methods=["GET"],
        operation_id="products_variants_list",
        responses=VariantSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        operation_id="products_variants_create",
        request=VariantCreateSerializer,
        responses={201: VariantSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def variants(self, request, pk=None):
        """The product's variants (inactive ones too for those who manage it); POST adds
        one (its options must be values of the product's options)."""
        product = self.get_object()
        context = variant_context(self, product)
        if request.method == "POST":
            serializer = VariantCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            variant = services.variant_create(
                user=request.user, product=product, data=serializer.validated_data
            )
            return Response(
                VariantSerializer(variant, context=context).data, status=status.HTTP_201_CREATED
            )
        variants = selectors.variants_visible(product=product, user=request.user)
        variants = variants.select_related("product").priced()
        return Response(VariantSerializer(variants, many=True, context=context).data)


class VariantViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One variant: its product's visitors read it; the product's shop members and
    platform staff change (PATCH) or remove (DELETE) it. A product keeps one variant."""

    serializer_class = VariantSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProductVariant.objects.none()
        variants = selectors.variants_visible_all(user=self.request.user)
        return variants.priced() if self.action == "retrieve" else variants

    @extend_schema(request=VariantInputSerializer, responses=VariantSerializer)
    def partial_update(self, request, *args, **kwargs):
        variant = self.get_object()
        serializer = VariantInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        variant = services.variant_update(
            user=request.user, variant=variant, data=serializer.validated_data
        )
        apply_sale_prices([variant])  # the answer at the price it sells at
        return Response(VariantSerializer(variant, context=self.get_serializer_context()).data)

    def destroy(self, request, *args, **kwargs):
        services.variant_delete(user=request.user, variant=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "OptionSerializer",
    "ProductVariantsMixin",
    "VariantCreateSerializer",
    "VariantInputSerializer",
    "VariantSerializer",
    "VariantViewSet",
    "options_field",
    "variant_context",
    "variants_field",
]
