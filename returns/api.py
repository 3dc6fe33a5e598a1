"""Returns over the API: the buyer asks (orders/{id}/returns/), the shop decides
(returns/{id}/approve|refuse|receive/), everyone reads theirs (returns/)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from cart.api import ShopRefSerializer
from cart.auth import GuestsWelcome
from orders.selectors import order_get_for
from returns import selectors, services
from returns.models import ReturnRequest, ReturnStatus


class ReturnLineInSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class ReturnRequestInSerializer(serializers.Serializer):
    lines = ReturnLineInSerializer(many=True, min_length=1, max_length=500)
    reason = serializers.CharField(max_length=2000)


class ReturnLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(source="order_line_id")
    product_name = serializers.CharField(source="order_line.product_name")
    variant_options = serializers.CharField(source="order_line.variant_options")
    quantity = serializers.IntegerField()


class ReturnEventSerializer(serializers.Serializer):
    status = serializers.CharField(source="to_status")
    note = serializers.CharField()
    at = serializers.DateTimeField()


class ReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.UUIDField()
    order_number = serializers.CharField(source="order.number")
    shop = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    reason = serializers.CharField()
    instructions = serializers.CharField(help_text="How to send it back, or why refused.")
    resellable = serializers.BooleanField(allow_null=True)
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    lines = ReturnLineSerializer(many=True)
    history = ReturnEventSerializer(many=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(ShopRefSerializer)
    def get_shop(self, request) -> dict:
        return {"id": request.shop_id, "name": request.shop.name}


class ApproveSerializer(serializers.Serializer):
    instructions = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Else the shop's own."
    )


class RefuseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ReceiveSerializer(serializers.Serializer):
    resellable = serializers.BooleanField(help_text="The units go back to stock.")


class OrderReturnsView(GuestsWelcome, APIView):
    @extend_schema(
        operation_id="orders_returns_create",
        request=ReturnRequestInSerializer,
        responses={201: ReturnSerializer},
    )
    def post(self, request, order_id):
        """Ask to return some units of a delivered order's lines (one shop's), with why."""
        order = order_get_for(user=request.user, order_id=order_id)
        if order is None:
            raise NotFound(_("No such order."))
        serializer = ReturnRequestInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.return_request(
            order=order,
            user=request.user,
            lines=serializer.validated_data["lines"],
            reason=serializer.validated_data["reason"],
        )
        made = selectors.returns_visible(user=request.user).get(pk=made.pk)
        return Response(ReturnSerializer(made).data, status=status.HTTP_201_CREATED)


class ReturnViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ReturnSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReturnRequest.objects.none()
        return selectors.returns_visible(user=self.request.user)

    def _answer(self, made):
        return Response(ReturnSerializer(self.get_queryset().get(pk=made.pk)).data)

    @extend_schema(
        operation_id="returns_approve", request=ApproveSerializer, responses=ReturnSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The shop takes it back: the instructions go to the shopper."""
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.return_approve(
            request=self.get_object(),
            by=request.user,
            instructions=serializer.validated_data.get("instructions"),
        )
        return self._answer(made)

    @extend_schema(
        operation_id="returns_refuse", request=RefuseSerializer, responses=ReturnSerializer
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        serializer = RefuseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.return_refuse(
            request=self.get_object(),
            by=request.user,
            note=serializer.validated_data.get("note", ""),
        )
        return self._answer(made)

    @extend_schema(
        operation_id="returns_receive", request=ReceiveSerializer, responses=ReturnSerializer
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """The goods are back: to stock when resellable, and the refund is made."""
        serializer = ReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.return_receive(
            request=self.get_object(),
            by=request.user,
            resellable=serializer.validated_data["resellable"],
        )
        return self._answer(made)
