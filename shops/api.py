"""The shops API: shops/ (anyone reads active shops; owners and staff manage theirs)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from shops import selectors, services
from shops.models import Shop

# --- Serializers ----------------------------------------------------------------------


class ShopSerializer(serializers.ModelSerializer):
    # Empty when the shop gave none, which an "email" format would not admit.
    email = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(
        choices=["pending_approval", "active", "closed"],
        read_only=True,
        help_text="pending_approval: platform staff have not approved the shop yet.",
    )

    class Meta:
        model = Shop
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "address",
            "email",
            "phone",
            "is_active",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ShopCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class ShopUpdateSerializer(ShopCreateSerializer):
    is_active = serializers.BooleanField(required=False)


# --- Views ----------------------------------------------------------------------------


class ShopViewSet(viewsets.ModelViewSet):
    """Shops. Active shops for everyone; members and platform staff also see their
    inactive ones (anyone else gets 404). Owners and platform staff change a shop;
    DELETE deactivates it."""

    serializer_class = ShopSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Shop.objects.none()
        return selectors.shop_list(user=self.request.user)

    @extend_schema(request=ShopCreateSerializer, responses={201: ShopSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ShopCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shop = services.shop_create(
            owner=request.user, data=serializer.validated_data, by=request.user
        )
        return Response(ShopSerializer(shop).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ShopUpdateSerializer, responses=ShopSerializer)
    def update(self, request, *args, **kwargs):
        shop = self.get_object()
        serializer = ShopUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        shop = services.shop_update(shop=shop, data=serializer.validated_data, by=request.user)
        return Response(ShopSerializer(shop).data)

    @extend_schema(request=ShopUpdateSerializer, responses=ShopSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.shop_deactivate(shop=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
