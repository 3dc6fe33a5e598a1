"""The accounts API: auth/ (JWT), users/ (staff) and addresses/ (own address book)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import policies, selectors, services
from accounts.models import ADDRESS_FIELDS, Address, User
from accounts.roles import user_roles
from accounts.signals import api_signed_in
from accounts.throttles import (
    PasswordResetAccountThrottle,
    PasswordResetAddressThrottle,
    RegisterAccountThrottle,
    RegisterAddressThrottle,
    VerifyEmailAddressThrottle,
    VerifyEmailKeyThrottle,
)
from core.permissions import policy_permission
from core.security.jwt import token_matches_password

# --- Serializers ----------------------------------------------------------------------


class PreferencesSerializer(serializers.Serializer):
    marketing_emails = serializers.BooleanField(required=False)
    order_updates = serializers.BooleanField(required=False)


LANGUAGE_CHOICES = User._meta.get_field("language").choices


class MeSerializer(serializers.ModelSerializer):
    email_verified = serializers.SerializerMethodField()
    preferences = PreferencesSerializer(read_only=True)
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        allow_blank=True,
        read_only=True,
        help_text="The person's language (mail, notifications, invoices); \"\": their browser's.",
    )
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "email_verified",
            "preferences",
            "language",
            "roles",
            "date_joined",
        ]
        read_only_fields = fields

    def get_email_verified(self, user: User) -> bool:
        return selectors.user_email_verified(user=user)

    def get_roles(self, user: User) -> list[str]:
        return user_roles(user)


class StaffUserSerializer(MeSerializer):
    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "is_active", "is_staff", "last_login"]
        read_only_fields = fields


class StaffUserUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)


class MeUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    preferences = PreferencesSerializer(required=False)
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        allow_blank=True,
        help_text="The language of the shop's mail and notifications to this person "
        '(and of the pages where they sign in); "" for the browser\'s.',
    )


class PasswordField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField()
    code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Accounts with two-factor sign-in: the authenticator app's code or a "
        "recovery code (without it: 401 mfa_required).",
    )


class LoginFormSerializer(LoginSerializer):
    """The same fields, form-encoded (OAuth2-style clients): a schema component of its own,
    so that a generated client sends each body in its own content type."""


class TokensSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginResponseSerializer(TokensSerializer):
    user = MeSerializer()


class RefreshTokenSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ResetPasswordSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = PasswordField()


class ChangePasswordSerializer(serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField()


class VerifyEmailSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=256)


class PasswordConfirmSerializer(serializers.Serializer):
    password = PasswordField()


class PostalAddressSerializer(serializers.ModelSerializer):
    """An address given inline (at checkout), validated like the address book's: its
    fields, lengths and required ones come from the Address model (optional ones default
    to empty)."""

    country = CountryField()

    class Meta:
        model = Address
        fields = list(ADDRESS_FIELDS)
        extra_kwargs = {
            name: {"default": ""}
            for name in ADDRESS_FIELDS
            if Address._meta.get_field(name).blank and name != "country"
        }


@extend_schema_field(PostalAddressSerializer)
class AddressSnapshotField(serializers.JSONField):
    """An address as an order keeps it: the address fields when the order was placed (the
    schema names its shape, PostalAddress, not an object of anything)."""


class AddressSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = Address
        fields = ["id", *ADDRESS_FIELDS, "is_default", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


# --- Auth views -----------------------------------------------------------------------


def tokens_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class PublicAPIView(APIView):
    """An endpoint for people who are not signed in: no session (so no CSRF) and no token."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class RegistrationAcceptedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    detail = serializers.CharField()


class RegisterView(PublicAPIView):
    """Answers the same whether or not the address already has an account: a new person
    gets a verification link, the owner of an existing account a mail saying so."""

    throttle_classes = [RegisterAddressThrottle, RegisterAccountThrottle]

    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: RegistrationAcceptedSerializer},
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_register(**serializer.validated_data, request=request)
        email = serializer.validated_data["email"].strip().lower()
        return Response(
            {
                "email": email,
                "detail": _("Check your inbox: a link to confirm this address is on its way."),
            },
            status=status.HTTP_201_CREATED,
        )


class LoginView(PublicAPIView):
    """Failed attempts are counted by the sign-in guard (accounts.signin), shared with the
    pages and the admin; successful ones are not. Besides JSON it takes a form (`email`,
    `password`), as OAuth2-style clients send (the contract)."""

    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="auth_login",
        request={
            "application/json": LoginSerializer,
            "application/x-www-form-urlencoded": LoginFormSerializer,
        },
        responses={200: LoginResponseSerializer},
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_authenticate(**serializer.validated_data, request=request)
        api_signed_in.send(sender=User, user=user, request=request)
        return Response({**tokens_for(user), "user": MeSerializer(user).data})


class SafeTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, also refusing a token issued before a password change."""

    def validate(self, attrs):
        try:
            token = RefreshToken(attrs["refresh"])
            user = get_user_model().objects.filter(pk=token.get("user_id")).first()
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        if user is None:
            raise InvalidToken(_("The user of this token no longer exists."))
        if not token_matches_password(token, user):
            raise InvalidToken(_("The password changed since this token was issued."))
        return super().validate(attrs)


@extend_schema_view(post=extend_schema(operation_id="auth_refresh"))
class RefreshView(TokenRefreshView):
    """Rotates: answers a new refresh token and blacklists the one it was given."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    serializer_class = SafeTokenRefreshSerializer


class LogoutView(APIView):
    """Ends this session: the refresh token is blacklisted and the access token that
    made the request is refused from now on."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout", request=RefreshTokenSerializer, responses={204: None}
    )
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_sign_out(
            user=request.user, refresh=serializer.validated_data["refresh"], access=request.auth
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ForgotPasswordView(PublicAPIView):
    throttle_classes = [PasswordResetAddressThrottle, PasswordResetAccountThrottle]

    @extend_schema(
        operation_id="auth_forgot_password",
        request=EmailSerializer,
        responses={202: inline_serializer("Accepted", {"detail": serializers.CharField()})},
    )
    def post(self, request):
        serializer = EmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(
            {"detail": _("If an account uses this address, a reset link is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class ResetPasswordView(PublicAPIView):
    throttle_classes = [PasswordResetAddressThrottle]

    @extend_schema(
        operation_id="auth_reset_password", request=ResetPasswordSerializer, responses={204: None}
    )
    def post(self, request):
        serializer = ResetPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChangePasswordView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="auth_change_password", request=ChangePasswordSerializer, responses={204: None}
    )
    def post(self, request):
        serializer = ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_change(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifyEmailView(PublicAPIView):
    throttle_classes = [VerifyEmailAddressThrottle, VerifyEmailKeyThrottle]

    @extend_schema(
        operation_id="auth_verify_email", request=VerifyEmailSerializer, responses={204: None}
    )
    def post(self, request):
        serializer = VerifyEmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_verify(key=serializer.validated_data["key"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(MeSerializer(user).data)

    @extend_schema(request=PasswordConfirmSerializer, responses={204: None})
    def delete(self, request):
        serializer = PasswordConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_erase(user=request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Users (staff) --------------------------------------------------------------------


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search email and names")
    is_active = django_filters.BooleanFilter()
    is_staff = django_filters.BooleanFilter()
    email_verified = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["is_active", "is_staff"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Staff manage users; DELETE deactivates (orders and history stay)."""

    # Staff with Django's permission on users: view_user to read, change_user to change
    # or switch off (which accounts and fields: accounts.policies.may_change_user).
    permission_classes = [
        policy_permission(policies.may_change_users, read=policies.may_view_users)
    ]
    serializer_class = StaffUserSerializer
    filterset_class = UserFilter

    def get_queryset(self):
        return selectors.user_list()

    @extend_schema(request=StaffUserUpdateSerializer, responses=StaffUserSerializer)
    def update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = StaffUserUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.user_update_by_staff(user=user, data=serializer.validated_data, by=request.user)
        return Response(StaffUserSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(request=StaffUserUpdateSerializer, responses=StaffUserSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.user_deactivate(user=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Address book ---------------------------------------------------------------------


class AddressViewSet(viewsets.ModelViewSet):
    """The caller's own address book; another person's address answers 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = AddressSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Address.objects.none()
        return selectors.address_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.address_create(
            user=self.request.user, data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.address_update(
            address=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.address_delete(address=instance)
