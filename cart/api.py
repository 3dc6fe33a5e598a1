"""The cart API: the signed-in person's cart and checkout."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from cart import selectors, services
from cart.selectors import CartSummary
from catalog.api import ShopSummarySerializer, absolute_media_url
from catalog.selectors import product_list_public, product_list_visible


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


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.id")
    product = CartProductSerializer()
    quantity = serializers.IntegerField(source="item.quantity")
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.BooleanField()
    notice = serializers.CharField()


class CartNoticeSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
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
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(
        min_value=1, max_value=services.MAX_LINE_QUANTITY, default=1
    )


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
        product_id = serializer.validated_data["product_id"]
        # Most products asked for are in the public catalog: found there, the caller's
        # shops (what else they may see) need not be looked up.
        product = (
            product_list_public().filter(pk=product_id).first()
            or product_list_visible(user=request.user).filter(pk=product_id).first()
        )
        if product is None:
            raise NotFound("No such product.")
        cart = services.cart_get_for_user(user=request.user)
        services.cart_add_item(
            cart=cart, product=product, quantity=serializer.validated_data["quantity"]
        )
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
