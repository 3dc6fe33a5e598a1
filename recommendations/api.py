"""`GET /api/v1/products/{id}/recommendations/`: what goes with a product, what is like
it and (signed in) what the caller viewed lately, leaving out the caller's cart (theirs,
or the guest cart of an X-Cart-Token)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.guests import is_guest
from cart.auth import CartTokenAuthentication
from cart.selectors import cart_contents
from catalog import viewed
from catalog.api import ProductSerializer
from catalog.models import Product
from catalog.selectors import product_list_public
from recommendations import selectors


class RecommendationsSerializer(serializers.Serializer):
    bought_together = ProductSerializer(
        many=True, help_text="Often in the same paid order as this product, most often first."
    )
    similar = ProductSerializer(many=True, help_text="Same category, shared tags, a like name.")
    recently_viewed = ProductSerializer(
        many=True, help_text="What the signed-in caller viewed on the site lately (else empty)."
    )


def in_cart_of(request) -> frozenset[int]:
    user = request.user
    if user.is_authenticated:
        return cart_contents(user=user)[1]
    if is_guest(user) and user.key:
        return cart_contents(token_key=user.key)[1]
    return frozenset()


class ProductRecommendationsView(APIView):
    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, CartTokenAuthentication]
    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="products_recommendations", responses=RecommendationsSerializer)
    def get(self, request, product_id: str):
        product = product_list_public().filter(pk=int(product_id)).first()
        if product is None:
            raise Http404("No such product.")
        found = selectors.for_product(product)
        leave_out = in_cart_of(request) | {product.pk}
        recent: list[Product] = []
        if request.user.is_authenticated:
            recent_ids = [pk for pk in viewed.viewed_ids(user=request.user) if pk not in leave_out]
            recent = selectors.without(selectors.cards_for(recent_ids), leave_out)
        data = {
            "bought_together": selectors.without(found["bought_together"], leave_out),
            "similar": selectors.without(found["similar"], leave_out),
            "recently_viewed": recent,
        }
        context = {"request": request}
        return Response(RecommendationsSerializer(data, context=context).data)
