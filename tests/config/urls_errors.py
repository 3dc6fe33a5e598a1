"""Views that raise each kind of error, to test the one exception handler."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from accounts.models import User
from core.errors import ApplicationError


class OutOfStock(ApplicationError):
    code = "insufficient_stock"
    status_code = 409
    default_detail = "Not enough stock."


class AddressSerializer(serializers.Serializer):
    city = serializers.CharField()
    country = serializers.CharField(max_length=2)


class CheckoutSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)
    shipping_address = AddressSerializer()


@api_view(["POST"])
@permission_classes([AllowAny])
def validate(request):
    serializer = CheckoutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response(serializer.validated_data)


@api_view(["GET"])
@permission_classes([AllowAny])
def domain_error(request):
    raise OutOfStock(product_id=7, available=2)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def private(request):
    return Response({"ok": True})


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def private_write(request):
    return Response({"ok": True})


class OnePerMinute(AnonRateThrottle):
    rate = "1/min"
    scope = "test-one-per-minute"


@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([OnePerMinute])
def throttled(request):
    return Response({"ok": True})


@api_view(["GET"])
@permission_classes([AllowAny])
def crash(request):
    raise RuntimeError("a bug with a secret inside: hunter2")


class UserEmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]


class UserList(ListAPIView):
    queryset = User.objects.order_by("id")
    serializer_class = UserEmailSerializer
    permission_classes = [AllowAny]


api_patterns = [
    path("validate/", validate),
    path("domain-error/", domain_error),
    path("private/", private),
    path("private-write/", private_write),
    path("throttled/", throttled),
    path("crash/", crash),
    path("users/", UserList.as_view()),
]

urlpatterns = [
    path("api/test/", include(api_patterns)),
    path("", include("config.urls")),
]

handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
