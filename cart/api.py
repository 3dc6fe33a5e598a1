"""The cart API: the signed-in person's cart and checkout."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from cart import selectors, services
from cart.selectors import CartSummary
from catalog.api import ShopSummarySerializer, absolute_media_url
from catalog.selectors import product_list_public, product_list_visible, variants_visible_all


class CartProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    stock_quantity = serializers.IntegerField()
    in_stock = serializers.BooleanField()
    shop = ShopSummarySerializer()
    image_url = serializers.SerializerMethodField()

    def get_image_url(self, product) -> str | None:
        images = list(product.images.all())
        if not images:
            return None
        first = images[0]
        return absolute_media_url(self.context.get("request"), first.thumbnail or first.image)


class CartVariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField(), help_text="{name: value}")
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    stock_quantity = serializers.IntegerField()
    in_stock = serializers.BooleanField()
    image_url = serializers.CharField(allow_null=True)


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.id")
    product = CartProductSerializer()
    variant = serializers.SerializerMethodField()
    quantity = serializers.IntegerField(source="item.quantity")
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.BooleanField()
    notice = serializers.CharField()

    @extend_schema_field(CartVariantSerializer)
    def get_variant(self, line) -> dict:
        variant = line.variant
        image = line.image
        request = self.context.get("request")
        return {
            "id": variant.pk,
            "sku": variant.sku,
            "options": line.options,
            "price": f"{variant.price:.2f}",
            "compare_at_price": (
                f"{variant.compare_at_price:.2f}" if variant.compare_at_price is not None else None
            ),
            "stock_quantity": variant.stock_quantity,
            "in_stock": variant.in_stock,
            "image_url": absolute_media_url(request, image.thumbnail or image.image)
            if image
            else None,
        }


class CartNoticeSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    detail = serializers.CharField()


class CartSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    items = CartLineSerializer(source="lines", many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    total_items = serializers.IntegerField()
    currency = serializers.CharField()
    notices = CartNoticeSerializer(many=True)

    def get_id(self, summary: CartSummary) -> int | None:
        return summary.cart.pk if summary.cart else None


class CartAddSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(
        min_value=1, required=False, help_text="The variant to add (see the product's variants)."
    )
    product_id = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Instead of variant_id, for a product with one variant; a product with "
        "several answers 400 variant_required.",
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=services.MAX_LINE_QUANTITY, default=1
    )

    def validate(self, attrs):
        if "variant_id" not in attrs and "product_id" not in attrs:
            raise serializers.ValidationError({"variant_id": ["Give variant_id (or product_id)."]})
        return attrs


class CartQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=services.MAX_LINE_QUANTITY)


def cart_response(request, cart, status_code=status.HTTP_200_OK) -> Response:
    summary = selectors.cart_summary(cart=cart)
    return Response(CartSerializer(summary, context={"request": request}).data, status=status_code)


class CartView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="cart_retrieve", responses=CartSerializer)
    def get(self, request):
        return cart_response(request, selectors.cart_find_for_user(user=request.user))

    @extend_schema(operation_id="cart_clear", responses={204: None})
    def delete(self, request):
        services.cart_clear(cart=services.cart_get_for_user(user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartAddView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="cart_add", request=CartAddSerializer, responses=CartSerializer)
    def post(self, request):
        serializer = CartAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "variant_id" in data:
            variant = (
                variants_visible_all(user=request.user)
                .select_related("product")
                .filter(pk=data["variant_id"])
                .first()
            )
            if variant is None:
                raise NotFound("No such variant.")
        else:
            # Most products asked for are in the public catalog: found there, the
            # caller's shops (what else they may see) need not be looked up.
            product = (
                product_list_public().filter(pk=data["product_id"]).first()
                or product_list_visible(user=request.user).filter(pk=data["product_id"]).first()
            )
            if product is None:
                raise NotFound("No such product.")
            variant = services.cart_variant_of(product=product)
        cart = services.cart_get_for_user(user=request.user)
        services.cart_add_item(cart=cart, variant=variant, quantity=data["quantity"])
        return cart_response(request, cart)


class CartItemView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _item(self, cart, item_id):
        item = selectors.cart_item_get(cart=cart, item_id=item_id)
        if item is None:
            raise NotFound("No such line in your cart.")
        return item

    @extend_schema(
        operation_id="cart_item_update", request=CartQuantitySerializer, responses=CartSerializer
    )
    def put(self, request, item_id: int):
        serializer = CartQuantitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = services.cart_get_for_user(user=request.user)
        services.cart_set_quantity(
            cart=cart,
            item=self._item(cart, item_id),
            quantity=serializer.validated_data["quantity"],
        )
        return cart_response(request, cart)

    @extend_schema(operation_id="cart_item_remove", responses={204: None})
    def delete(self, request, item_id: int):
        cart = services.cart_get_for_user(user=request.user)
        services.cart_remove_item(cart=cart, item=self._item(cart, item_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
