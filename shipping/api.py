"""Shipping over the API: a shop's zones and methods (shops/{id}/shipping-zones/,
shops/{id}/shipping-methods/). Anyone reads an active shop's; its members and staff
change them. The rules are shipping.services'."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from shipping import policies, selectors, services
from shipping.models import ShippingMethod, ShippingZone, estimate_text
from shops.selectors import shop_list

MONEY = {"max_digits": 12, "decimal_places": 2}


class WeightTierSerializer(serializers.Serializer):
    up_to_kg = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0)
    price = serializers.DecimalField(**MONEY, min_value=0)


class ShippingMethodSerializer(serializers.ModelSerializer):
    zone_id = serializers.IntegerField()
    tiers = WeightTierSerializer(many=True, required=False)
    estimate = serializers.SerializerMethodField()

    class Meta:
        model = ShippingMethod
        fields = [
            "id",
            "zone_id",
            "name",
            "kind",
            "price",
            "free_above",
            "currency",
            "min_days",
            "max_days",
            "estimate",
            "tiers",
            "is_active",
            "position",
        ]
        read_only_fields = ["id", "estimate"]
        extra_kwargs = {
            "price": {"min_value": 0},
            "free_above": {"min_value": 0},
            "currency": {"default": settings.DEFAULT_CURRENCY},
            "min_days": {"max_value": 365},
            "max_days": {"max_value": 365},
        }

    def get_estimate(self, method) -> str:
        return estimate_text(method.min_days, method.max_days)

    def to_representation(self, method):
        data = super().to_representation(method)
        data["tiers"] = WeightTierSerializer(method.tiers.all(), many=True).data
        return data


class ZoneMethodSerializer(ShippingMethodSerializer):
    """A method given with its zone (no zone_id)."""

    class Meta(ShippingMethodSerializer.Meta):
        fields = [name for name in ShippingMethodSerializer.Meta.fields if name != "zone_id"]

    zone_id = None


class ShippingZoneSerializer(serializers.ModelSerializer):
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2),
        max_length=300,
        required=False,
        help_text="ISO country codes; empty: everywhere no other zone of the shop names.",
    )
    regions = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100, required=False
    )
    methods = ZoneMethodSerializer(many=True, required=False)

    class Meta:
        model = ShippingZone
        fields = ["id", "shop_id", "name", "countries", "regions", "methods"]
        read_only_fields = ["id", "shop_id"]

    def to_representation(self, zone):
        return {
            "id": zone.pk,
            "shop_id": zone.shop_id,
            "name": zone.name,
            "countries": [str(code) for code in zone.countries],
            "regions": list(zone.regions or []),
            "methods": ZoneMethodSerializer(zone.methods.all(), many=True).data,
        }


class _ShopScoped(viewsets.GenericViewSet):
    """Views under shops/{shop_id}/: the shop as the caller may see it (else 404);
    writes by its members and staff (else 403). Lists are whole: a shop has few zones."""

    pagination_class = None

    def shop(self):
        if not hasattr(self, "_shop"):
            shops = shop_list(user=self.request.user)
            self._shop = get_object_or_404(shops, pk=self.kwargs["shop_id"])
        return self._shop

    def require_manager(self) -> None:
        if not policies.may_manage_shipping(self.request.user, self.shop()):
            raise PermissionDenied(
                _("Only the shop's members (or platform staff) change its shipping.")
            )


class ShippingZoneViewSet(_ShopScoped):
    serializer_class = ShippingZoneSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ShippingZone.objects.none()
        return selectors.shipping_zones(shop_ids=[self.shop().pk])

    def list(self, request, shop_id=None):
        """Where the shop ships, with each zone's methods."""
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, shop_id=None, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, shop_id=None):
        self.require_manager()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        zone = services.shipping_zone_create(
            shop=self.shop(), data=serializer.validated_data, by=request.user
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=zone.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, shop_id=None, pk=None, partial=False):
        self.require_manager()
        zone = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "methods"}
        services.shipping_zone_update(zone=zone, data=data, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=zone.pk)).data)

    def partial_update(self, request, shop_id=None, pk=None):
        return self.update(request, shop_id, pk, partial=True)

    def destroy(self, request, shop_id=None, pk=None):
        self.require_manager()
        services.shipping_zone_delete(zone=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShippingMethodViewSet(_ShopScoped):
    serializer_class = ShippingMethodSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ShippingMethod.objects.none()
        return (
            ShippingMethod.objects.filter(zone__shop=self.shop())
            .select_related("zone__shop")
            .prefetch_related("tiers")
            .order_by("zone_id", "position", "id")
        )

    def list(self, request, shop_id=None):
        """Every method of the shop's zones."""
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, shop_id=None, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def _zone(self, zone_id: int) -> ShippingZone:
        return get_object_or_404(
            ShippingZone.objects.select_related("shop"), pk=zone_id, shop=self.shop()
        )

    @extend_schema(responses={201: ShippingMethodSerializer})
    def create(self, request, shop_id=None):
        self.require_manager()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        zone = self._zone(data.pop("zone_id"))
        method = services.shipping_method_create(zone=zone, data=data, by=request.user)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=method.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, shop_id=None, pk=None, partial=False):
        self.require_manager()
        method = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "zone_id" in data and data.pop("zone_id") != method.zone_id:
            message = _("A method stays in its zone: create it in the other zone instead.")
            raise serializers.ValidationError({"zone_id": [message]})
        services.shipping_method_update(method=method, data=data, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=method.pk)).data)

    def partial_update(self, request, shop_id=None, pk=None):
        return self.update(request, shop_id, pk, partial=True)

    def destroy(self, request, shop_id=None, pk=None):
        self.require_manager()
        services.shipping_method_delete(method=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
