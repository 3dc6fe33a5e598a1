"""The payments API: create and confirm payments, history, refunds, saved cards, webhooks."""

from __future__ import annotations

import json
from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from django.urls import reverse as reverse_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from cart.auth import GuestsWelcome
from core.errors import ApplicationError
from core.permissions import policy_permission
from orders.models import Order
from orders.policies import is_buyer
from payments import policies, selectors, services
from payments.models import Payment, Refund, RefundReason, SavedPaymentMethod

# --- Serializers ----------------------------------------------------------------------


class RefundSerializer(serializers.ModelSerializer):
    payment_id = serializers.UUIDField()

    class Meta:
        model = Refund
        fields = ["id", "payment_id", "amount", "currency", "status", "reason", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    order_id = serializers.UUIDField()
    client_secret = serializers.SerializerMethodField()
    approve_url = serializers.SerializerMethodField(
        help_text="PayPal: where the payer approves the payment (open it, then confirm); "
        "null otherwise, and for anyone but the payer."
    )
    refunds = RefundSerializer(many=True, read_only=True, source="refund_list")

    class Meta:
        model = Payment
        fields = [
            "id",
            "order_id",
            "provider",
            "status",
            "amount",
            "currency",
            "refunded_amount",
            "client_secret",
            "approve_url",
            "decline_code",
            "failure_message",
            "refunds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_client_secret(self, payment: Payment) -> str | None:
        """Only the payer gets the secret that completes the payment in the browser/app."""
        request = self.context.get("request")
        if request is None or not is_payer(request.user, payment):
            return None
        return payment.client_secret or None

    def get_approve_url(self, payment: Payment) -> str | None:
        request = self.context.get("request")
        if request is None or not is_payer(request.user, payment) or not payment.is_confirmable:
            return None
        return payment.redirect_url or None


class PaymentCreateSerializer(serializers.Serializer):
    order_id = serializers.UUIDField()
    provider = serializers.ChoiceField(
        choices=["dummy", "stripe", "paypal"],
        required=False,
        help_text="One the shop offers (GET payments/providers/); left out: the card "
        "provider. An open payment with another provider is cancelled.",
    )
    return_url = serializers.URLField(
        max_length=400,
        required=False,
        help_text="PayPal: where the payer comes back after approving (the shop's page "
        "when left out).",
    )
    cancel_url = serializers.URLField(
        max_length=400, required=False, help_text="PayPal: where a payer who gives up goes."
    )


class PaymentConfirmSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField()
    payment_method = serializers.CharField(max_length=255, required=False, allow_blank=True)
    save_payment_method = serializers.BooleanField(required=False, default=False)


class RefundCreateSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField()
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, min_value=Decimal("0.01")
    )
    reason = serializers.ChoiceField(
        choices=RefundReason.choices, default=RefundReason.REQUESTED_BY_CUSTOMER
    )


class SavedMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedPaymentMethod
        fields = ["id", "provider", "brand", "last4", "exp_month", "exp_year", "created_at"]
        read_only_fields = fields


# --- Views ----------------------------------------------------------------------------


def _page(request, name: str, order: Order) -> str:
    """The absolute address of one of the order's payment pages."""
    return request.build_absolute_uri(reverse_path(name, args=[order.pk]))


class ProvidersSerializer(serializers.Serializer):
    providers = serializers.ListField(
        child=serializers.CharField(), help_text="The card provider first, then PayPal if set up."
    )


class ProvidersView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="payments_providers", responses=ProvidersSerializer)
    def get(self, request):
        """The ways to pay this shop offers: `provider` of payments/create/."""
        return Response({"providers": services.configured_providers()})


def _payment_response(
    request, payment: Payment, status_code=status.HTTP_200_OK, *, new: bool = False
) -> Response:
    """The caller's own payment as the services answered it (fresh: each of them reads
    the row under its lock and writes through it), with its refunds."""
    selectors.payment_load_refunds(payment, new=new)
    return Response(
        PaymentSerializer(payment, context={"request": request}).data, status=status_code
    )


def is_payer(user, payment: Payment) -> bool:
    """The person (or guest: X-Cart-Token) who pays: the buyer of the payment's order."""
    if payment.user_id is not None:
        return payment.user_id == user.pk
    return is_buyer(user, payment.order)


class PaymentCreateView(GuestsWelcome, APIView):
    @extend_schema(
        operation_id="payments_create",
        request=PaymentCreateSerializer,
        responses={201: PaymentSerializer, 200: PaymentSerializer},
    )
    def post(self, request):
        serializer = PaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Only the caller's own orders may be paid (their lines are not needed here).
        order = (
            Order.objects.select_related("user")  # the payer: the order's owner
            .filter(pk=serializer.validated_data["order_id"])
            .first()
        )
        if order is None or not is_buyer(request.user, order):
            raise NotFound(_("No such order."))
        data = serializer.validated_data
        # The order's owner (None: a guest's) is the payer.
        payment, created = services.payment_create(
            user=order.user,
            order=order,
            provider=data.get("provider"),
            return_url=data.get("return_url") or _page(request, "payments:paypal-return", order),
            cancel_url=data.get("cancel_url") or _page(request, "payments:pay", order),
        )
        return _payment_response(
            request,
            payment,
            status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            new=created,
        )


class PaymentConfirmView(GuestsWelcome, APIView):
    @extend_schema(
        operation_id="payments_confirm",
        request=PaymentConfirmSerializer,
        responses=PaymentSerializer,
    )
    def post(self, request):
        serializer = PaymentConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = (
            Payment.objects.select_related("order")
            .filter(pk=serializer.validated_data["payment_id"])
            .first()
        )
        if payment is None or not is_payer(request.user, payment):
            raise NotFound(_("No such payment."))
        payment = services.payment_confirm(
            payment=payment,
            payment_method=serializer.validated_data.get("payment_method") or None,
            save_payment_method=serializer.validated_data["save_payment_method"],
        )
        return _payment_response(request, payment)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payment history with refunds: own payments; staff see all."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = PaymentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payment_list_for(user=self.request.user).order_by("-created_at")


class RefundCreateView(APIView):
    permission_classes = [policy_permission(policies.may_refund)]

    @extend_schema(
        operation_id="payments_refund",
        request=RefundCreateSerializer,
        responses={201: RefundSerializer},
    )
    def post(self, request):
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = Payment.objects.filter(pk=serializer.validated_data["payment_id"]).first()
        if payment is None:
            raise NotFound(_("No such payment."))
        refund = services.payment_refund(
            payment=payment,
            amount=serializer.validated_data.get("amount"),
            reason=serializer.validated_data["reason"],
            by=request.user,
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class SavedMethodViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's saved cards; DELETE detaches the card at the provider."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SavedMethodSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedPaymentMethod.objects.none()
        return services.saved_method_list(user=self.request.user)

    def perform_destroy(self, instance):
        services.saved_method_delete(method=instance)


def _webhook(request: HttpRequest, *, provider: str, signature: str) -> JsonResponse:
    """A provider's signed event: verified, stored once under its id, processed by a
    worker; every answer in the JSON error shape."""
    if request.method != "POST":
        response = JsonResponse(
            {"code": "method_not_allowed", "detail": "Only POST is allowed here."}, status=405
        )
        response["Allow"] = "POST"
        return response
    try:
        event, created = services.webhook_receive(
            provider=provider, payload=request.body, signature=signature
        )
    except ApplicationError as error:
        return JsonResponse(error.as_dict(), status=error.status_code)
    return JsonResponse({"received": True, "duplicate": not created, "id": event.event_id})


@csrf_exempt
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Stripe's events, signed in the Stripe-Signature header."""
    return _webhook(
        request, provider="stripe", signature=request.headers.get("Stripe-Signature", "")
    )


# The headers PayPal signs an event with, as PayPal's verify-webhook-signature names them.
PAYPAL_SIGNATURE_HEADERS = {
    "auth_algo": "PayPal-Auth-Algo",
    "cert_url": "PayPal-Cert-Url",
    "transmission_id": "PayPal-Transmission-Id",
    "transmission_sig": "PayPal-Transmission-Sig",
    "transmission_time": "PayPal-Transmission-Time",
}


@csrf_exempt
def paypal_webhook(request: HttpRequest) -> JsonResponse:
    """PayPal's events, verified with PayPal against PAYPAL_WEBHOOK_ID."""
    headers = {
        name: request.headers.get(header, "") for name, header in PAYPAL_SIGNATURE_HEADERS.items()
    }
    return _webhook(request, provider="paypal", signature=json.dumps(headers))
