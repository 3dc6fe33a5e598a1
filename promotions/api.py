"""Promotions over the API (promotions/, vouchers/): platform staff run every promotion
(and the platform's own, `shop_id` null); a shop's owners run their shop's. The rules
are promotions.services'; shoppers use codes through cart/voucher/."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.csv_export import csv_response
from core.errors import DomainValidationError
from promotions import policies, selectors, services
from promotions.models import Promotion, Voucher
from shops.models import Shop

MONEY = {"max_digits": 12, "decimal_places": 2}


def id_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=1000,
        required=False,
        **kwargs,
    )


class PromotionSerializer(serializers.ModelSerializer):
    shop_id = serializers.IntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The shop whose lines it reaches; null: the platform's (staff only).",
    )
    categories = id_list(help_text="With their sub-categories.")
    products = id_list()
    variants = id_list()
    shops = id_list(help_text="A platform promotion's shops (none: all).")
    code = serializers.CharField(
        write_only=True, required=False, max_length=40, help_text="A first code, made with it."
    )
    code_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Promotion
        fields = [
            "id",
            "shop_id",
            *services.SCALARS,
            *services.TARGETS,
            "used_count",
            "code",
            "code_count",
            "created_at",
        ]
        read_only_fields = ["id", "used_count", "code_count", "created_at"]
        extra_kwargs = {
            "value": {"min_value": 0},
            "min_subtotal": {"min_value": 0},
            "usage_limit": {"max_value": services.MAX_USES},
        }

    def to_representation(self, promotion):
        data = {}
        for name, field in self.fields.items():
            if field.write_only:
                continue
            if name in services.TARGETS:
                data[name] = [item.pk for item in getattr(promotion, name).all()]
                continue
            attribute = field.get_attribute(promotion)
            data[name] = None if attribute is None else field.to_representation(attribute)
        return data


class VoucherSerializer(serializers.ModelSerializer):
    promotion_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    orders = serializers.IntegerField(read_only=True, default=0, help_text="Uses held.")
    discount_given = serializers.DecimalField(**MONEY, read_only=True, default="0.00")
    revenue = serializers.DecimalField(
        **MONEY, read_only=True, default="0.00", help_text="Totals of those orders."
    )

    class Meta:
        model = Voucher
        fields = [
            "id",
            "promotion_id",
            "code",
            "usage_limit",
            "used_count",
            "orders",
            "discount_given",
            "revenue",
            "created_at",
        ]
        read_only_fields = ["id", "used_count", "created_at"]
        extra_kwargs = {"usage_limit": {"min_value": 1, "max_value": services.MAX_USES}}


class GenerateSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=services.MAX_GENERATED)
    prefix = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    length = serializers.IntegerField(min_value=6, max_value=20, default=10)
    usage_limit = serializers.IntegerField(
        min_value=1,
        max_value=services.MAX_USES,
        allow_null=True,
        default=1,
        help_text="Uses of each code (1: single-use).",
    )


class PromotionQuerySerializer(serializers.Serializer):
    promotion = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


def _invalid(field: str, message: str) -> DomainValidationError:
    return DomainValidationError(message, fields={field: [message]})


def _shop_for(user, shop_id: int | None) -> Shop | None:
    if shop_id is None:
        return None
    shop = Shop.objects.filter(pk=shop_id).first()
    if shop is None:
        raise _invalid("shop_id", _("No such shop."))
    return shop


class PromotionViewSet(viewsets.ModelViewSet):
    serializer_class = PromotionSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Promotion.objects.none()
        return selectors.promotion_list(user=self.request.user).prefetch_related(
            "categories", "products", "variants", "shops"
        )

    def list(self, request, *args, **kwargs):
        """The promotions the caller runs: every one for staff, else their shops'."""
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        shop_id = data.pop("shop_id", None)
        if shop_id is None and not policies.may_change_any_promotion(request.user):
            owned = sorted(policies.managed_shop_ids(request.user))
            if len(owned) != 1:
                raise PermissionDenied(_("Name the shop (shop_id): the platform's are staff's."))
            shop_id = owned[0]
        promotion = services.promotion_create(
            shop=_shop_for(request.user, shop_id), data=data, by=request.user
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=promotion.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, *args, **kwargs):
        promotion = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k not in ("shop_id", "code")}
        services.promotion_update(promotion=promotion, data=data, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=promotion.pk)).data)

    def destroy(self, request, *args, **kwargs):
        services.promotion_delete(promotion=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="promotions_codes_generate",
        request=GenerateSerializer,
        responses={201: VoucherSerializer(many=True)},
    )
    @action(detail=True, methods=["post"], url_path="codes")
    def generate(self, request, pk=None):
        """Make `count` unique codes (single-use by default) for a newsletter; the CSV
        comes from vouchers/export/?promotion=<id>."""
        promotion = self.get_object()
        serializer = GenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vouchers = services.vouchers_generate(
            promotion=promotion, by=request.user, **serializer.validated_data
        )
        return Response(VoucherSerializer(vouchers, many=True).data, status=status.HTTP_201_CREATED)


class VoucherViewSet(viewsets.ModelViewSet):
    serializer_class = VoucherSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Voucher.objects.none()
        vouchers = selectors.voucher_usage(selectors.voucher_list(user=self.request.user))
        query = PromotionQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data.get("promotion"):
            vouchers = vouchers.filter(promotion_id=query.validated_data["promotion"])
        return vouchers.order_by("promotion_id", "id")

    @extend_schema(parameters=[PromotionQuerySerializer])
    def list(self, request, *args, **kwargs):
        """The codes of the promotions the caller runs, with their use (`promotion` for
        one promotion's)."""
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        promotion = (
            selectors.promotion_list(user=request.user).filter(pk=data["promotion_id"]).first()
        )
        if promotion is None:
            raise _invalid("promotion_id", _("No such promotion among those you run."))
        voucher = services.voucher_create(
            promotion=promotion,
            code=data["code"],
            usage_limit=data.get("usage_limit"),
            by=request.user,
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=voucher.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def destroy(self, request, *args, **kwargs):
        services.voucher_delete(voucher=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="vouchers_export",
        parameters=[PromotionQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR)},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        """The codes as CSV (code, promotion, reward, uses), for a newsletter tool."""
        vouchers = self.get_queryset()
        return csv_response(
            filename="codes.csv",
            header=services.VOUCHER_CSV_HEADER,
            rows=services.voucher_csv_rows(vouchers.iterator(chunk_size=2000)),
        )
