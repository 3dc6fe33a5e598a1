"""The orders API: checkout, order history, staff status changes, cancellation, reports."""

from __future__ import annotations

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import AddressSnapshotField, PostalAddressSerializer
from accounts.models import User
from accounts.selectors import address_list
from cart.api import DiscountSerializer, ShopRefSerializer, request_cart
from cart.auth import GuestsWelcome
from core.forms import id_from_text
from core.pagination import PageNumberPagination
from core.permissions import policy_permission
from core.rendering import json_bytes, json_response
from core.security.throttles import CheckoutThrottle
from orders import policies, selectors, services
from orders.caching import order_history_read, order_history_read_keys
from orders.models import Order, OrderStatus, Shipment

# --- Serializers ----------------------------------------------------------------------


class CheckoutSerializer(serializers.Serializer):
    email = serializers.EmailField(
        required=False,
        max_length=Order._meta.get_field("email").max_length,
        help_text="A guest's (X-Cart-Token) address for the order's mails: required without "
        "an account, ignored with one (the account's address is used).",
    )
    shipping_address = PostalAddressSerializer(required=False)
    shipping_address_id = serializers.IntegerField(required=False, min_value=1)
    billing_address = PostalAddressSerializer(required=False, allow_null=True)
    billing_address_id = serializers.IntegerField(required=False, min_value=1)
    shipping_methods = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        help_text="{shop id: shipping method id} (cart/shipping-options/ lists them); a shop "
        "left out gets its cheapest method.",
    )

    def validate_shipping_methods(self, value: dict) -> dict[int, int]:
        chosen = {}
        for key, method_id in value.items():
            shop_id = id_from_text(key)
            if shop_id is None:
                raise serializers.ValidationError(_("“%(key)s” is not a shop id.") % {"key": key})
            chosen[shop_id] = method_id
        return chosen

    def validate(self, attrs):
        for kind in ("shipping", "billing"):
            if f"{kind}_address" in attrs and f"{kind}_address_id" in attrs:
                message = _("Give %(kind)s_address or %(kind)s_address_id, not both.") % {
                    "kind": kind
                }
                raise serializers.ValidationError({f"{kind}_address_id": [message]})
        if "shipping_address" not in attrs and "shipping_address_id" not in attrs:
            raise serializers.ValidationError(
                {
                    "shipping_address": [
                        _("A shipping address (or shipping_address_id) is required.")
                    ]
                }
            )
        return attrs

    def resolve(self, user: User) -> tuple[dict, dict | None]:
        """The addresses as snapshots; an address-book id must be the caller's own (404)."""
        data = self.validated_data
        if not user.is_authenticated and (
            "shipping_address_id" in data or "billing_address_id" in data
        ):
            field = "shipping_address_id" if "shipping_address_id" in data else "billing_address_id"
            message = _("A guest has no address book: give the address itself.")
            raise serializers.ValidationError({field: [message]})
        book = address_list(user=user) if user.is_authenticated else None

        def from_book(address_id: int) -> dict:
            address = book.filter(pk=address_id).first()
            if address is None:
                raise NotFound(_("No such address in your address book."))
            return address.as_snapshot()

        def inline(address: dict) -> dict:
            return {**address, "country": str(address["country"])}

        shipping = (
            from_book(data["shipping_address_id"])
            if "shipping_address_id" in data
            else inline(data["shipping_address"])
        )
        billing = None
        if data.get("billing_address_id"):
            billing = from_book(data["billing_address_id"])
        elif data.get("billing_address"):
            billing = inline(data["billing_address"])
        return shipping, billing


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    product_name = serializers.CharField()
    variant_options = serializers.CharField(
        help_text="The variant's options as sold (“Size: M / Colour: Red”); empty without."
    )
    sku = serializers.CharField()
    shop = serializers.SerializerMethodField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    quantity = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Its share of the discount codes."
    )
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Percent.")
    tax_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="On line_total - discount_amount."
    )

    @extend_schema_field(ShopRefSerializer)
    def get_shop(self, line) -> dict:
        return {"id": line.shop_id, "name": line.shop_name}

    def to_representation(self, line) -> dict:
        # An order list serialises hundreds of lines: the same answer as the declared
        # fields give, without DRF's per-field machinery (the fields still format money).
        fields = self.fields
        return {
            "id": line.pk,
            "product_id": line.product_id,
            "variant_id": line.variant_id,
            "product_name": line.product_name,
            "variant_options": line.variant_options,
            "sku": line.sku,
            "shop": {"id": line.shop_id, "name": line.shop_name},
            "unit_price": fields["unit_price"].to_representation(line.unit_price),
            "quantity": line.quantity,
            "line_total": fields["line_total"].to_representation(line.line_total),
            "discount_amount": fields["line_total"].to_representation(line.discount_amount),
            "tax_rate": fields["tax_rate"].to_representation(line.tax_rate),
            "tax_amount": fields["tax_amount"].to_representation(line.tax_amount),
        }


class FulfilmentLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, help_text="An order line's id.")
    quantity = serializers.IntegerField(min_value=1, max_value=100000)


class FulfilmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    lines = FulfilmentLineSerializer(many=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, fulfilment) -> dict:
        return {
            "id": fulfilment.pk,
            "carrier": fulfilment.carrier,
            "tracking_number": fulfilment.tracking_number,
            "tracking_url": fulfilment.tracking_url,
            "lines": [
                {"line_id": line.order_line_id, "quantity": line.quantity}
                for line in fulfilment.line_list
            ],
            "created_at": self.fields["created_at"].to_representation(fulfilment.created_at),
        }


class ShipmentMethodSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null once the shop removed it.")
    name = serializers.CharField()
    kind = serializers.CharField()


class ShipmentSerializer(serializers.Serializer):
    """One shop's part of the order on its way: the method chosen at checkout (as it was
    then), its price and tax, and what the shop sent."""

    id = serializers.IntegerField()
    shop = ShopRefSerializer()
    method = ShipmentMethodSerializer()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Taken off the price by a free-shipping code."
    )
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    estimate = serializers.CharField()
    min_days = serializers.IntegerField()
    max_days = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Shipment.Status.choices)
    fulfilments = FulfilmentSerializer(many=True)

    def to_representation(self, shipment) -> dict:
        money = self.fields["price"].to_representation
        fulfilment = self.fields["fulfilments"].child
        return {
            "id": shipment.pk,
            "shop": {"id": shipment.shop_id, "name": shipment.shop_name},
            "method": {
                "id": shipment.method_id,
                "name": shipment.method_name,
                "kind": shipment.method_kind,
            },
            "price": money(shipment.price),
            "discount": money(shipment.discount_amount),
            "tax": money(shipment.tax_amount),
            "tax_rate": self.fields["tax_rate"].to_representation(shipment.tax_rate),
            "estimate": shipment.estimate,
            "min_days": shipment.min_days,
            "max_days": shipment.max_days,
            "status": shipment.status,
            "fulfilments": [fulfilment.to_representation(f) for f in shipment.fulfilment_list],
        }


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.CharField(source="to_status")
    at = serializers.DateTimeField()

    def to_representation(self, change) -> dict:
        return {"status": change.to_status, "at": self.fields["at"].to_representation(change.at)}


class OrderSerializer(serializers.ModelSerializer):
    """An order as the caller may see it: a shop member reading someone else's order
    gets their shops' part (`scope` "shop": their lines, their subtotal, no billing
    address, no refunded total; orders.selectors.order_figures_for)."""

    lines = OrderLineSerializer(many=True, source="visible_lines")
    shipments = serializers.SerializerMethodField()
    discounts = serializers.SerializerMethodField(
        help_text="The discount codes used and what each took off (whole orders only)."
    )
    status_history = StatusChangeSerializer(many=True, source="history")
    shipping_address = AddressSnapshotField()
    billing_address = AddressSnapshotField(
        allow_null=True, help_text="null: the same as the shipping address."
    )
    refunded_total = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    scope = serializers.ChoiceField(
        choices=["full", "shop"],
        help_text="shop: only the caller's shops' lines and their subtotal are shown.",
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "email",
            "awaiting_email",
            "lines",
            "shipments",
            "subtotal",
            "shipping_total",
            "tax_total",
            "discounts",
            "discount_total",
            "total",
            "prices_include_tax",
            "currency",
            "shipping_address",
            "billing_address",
            "refunded_total",
            "reserved_until",
            "status_history",
            "scope",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "email": {"help_text": "Where the order's mails go ('' for a shop's view)."},
            "awaiting_email": {
                "help_text": "A guest's order waiting for its email address to be confirmed "
                "(the link in its confirmation mail) before the sellers see it."
            },
        }

    @extend_schema_field(ShipmentSerializer(many=True))
    def get_shipments(self, order) -> list[dict]:
        # The shops whose lines the caller sees (orders.selectors.order_shipments).
        return ShipmentSerializer(selectors.order_shipments(order), many=True).data

    @extend_schema_field(DiscountSerializer(many=True))
    def get_discounts(self, order) -> list[dict]:
        if getattr(order, "scope", "full") == "shop":
            return []
        return DiscountSerializer(selectors.order_discounts(order), many=True).data

    def _sees_all(self) -> bool | None:
        request = self.context.get("request")
        if request is None:  # the buyer (checkout) or staff acting on it: all of it
            return None
        if "sees_all" not in self.context:
            self.context["sees_all"] = policies.may_view_all_orders(request.user)
        return self.context["sees_all"]

    def to_representation(self, order) -> dict:
        sees_all = self._sees_all()
        figures = (
            None
            if sees_all is None
            else selectors.order_figures_for(
                order=order, user=self.context["request"].user, sees_all=sees_all
            )
        )
        order.scope = "shop" if figures and figures.partial else "full"
        data = super().to_representation(order)
        if figures is not None and figures.partial:
            money = self.fields["subtotal"].to_representation
            data.update(
                subtotal=money(figures.subtotal),
                shipping_total=money(figures.shipping_total),
                tax_total=money(figures.tax_total),
                discount_total=money(figures.discount_total),
                total=money(figures.total),
                refunded_total=None,
                billing_address=None,
                email="",  # the buyer's address is not the shops' to read
            )
        return data


class OrderStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id. A fraction, or a number past any id (which SQLite cannot even
    compare), is a validation error, not a query."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    user = IdFilter(field_name="user_id")
    shop = IdFilter(method="filter_shop")

    class Meta:
        model = Order
        fields = ["status", "user"]

    def filter_shop(self, queryset, name, value):
        return queryset.filter(lines__shop_id=value).distinct()


# --- Views ----------------------------------------------------------------------------


def place_order(request) -> Response:
    serializer = CheckoutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    shipping, billing = serializer.resolve(request.user)
    order = services.order_place(
        user=request.user,
        cart=request_cart(request),
        shipping_address=shipping,
        billing_address=billing,
        shipping_methods=serializer.validated_data.get("shipping_methods"),
        email=serializer.validated_data.get("email", ""),
    )
    # `order_place` answers the order with its lines and history loaded: no re-read.
    return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class CheckoutView(GuestsWelcome, APIView):
    throttle_classes = [*APIView.throttle_classes, CheckoutThrottle]

    @extend_schema(
        operation_id="cart_checkout", request=CheckoutSerializer, responses={201: OrderSerializer}
    )
    def post(self, request):
        return place_order(request)


class FulfilmentCreateSerializer(serializers.Serializer):
    shop_id = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The shop sending; left out: the shop of `lines`, or the caller's one shop "
        "in the order.",
    )
    lines = FulfilmentLineSerializer(
        many=True,
        required=False,
        max_length=500,
        help_text="Units sent; left out: every unit of the shop not sent yet.",
    )
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    tracking_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class OrderViewSet(
    GuestsWelcome,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Order history: own orders; shop members also their shops' lines; staff everything.
    A guest (X-Cart-Token) reads, places and cancels the orders of their token."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    throttle_classes = [*viewsets.GenericViewSet.throttle_classes, CheckoutThrottle]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        own = self.action in ("list", "retrieve") and self._own_history(self.request)
        return selectors.order_list_for(user=self.request.user, own=own).order_by("-created_at")

    def _own_history(self, request) -> bool:
        """The caller is a customer reading their own orders, whose answers are cached
        (asked twice a request: the read ahead)."""
        if getattr(request, "_own_history", None) is None:
            request._own_history = selectors.sees_own_orders_only(user=request.user)
        return request._own_history

    def cache_read_ahead_keys(self, request) -> list[str]:
        """The cache keys of a customer's own answer, read in the rate limit's round trip
        (core.security.throttles)."""
        if self.action in ("list", "retrieve") and self._own_history(request):
            return order_history_read_keys(
                user_id=request.user.pk, url=request.build_absolute_uri()
            )
        return []

    def _cached(self, request, build):
        # Stored rendered (core.rendering): the JSON is made once, not on every hit.
        content = order_history_read(
            user_id=request.user.pk,
            url=request.build_absolute_uri(),
            build=lambda: json_bytes(build()),
            read_ahead=getattr(request, "cache_read_ahead", None),
        )
        return json_response(request, content)

    def list(self, request, *args, **kwargs):
        # As ListModelMixin, with the page's lines and history loaded in two plain
        # queries (see orders_load_lines_and_history) instead of prefetch_related; a
        # customer's own history is cached until one of their orders changes.
        def build():
            orders, visible_lines, _own_only = selectors.order_visibility(
                user=request.user, own=self._own_history(request)
            )
            queryset = self.filter_queryset(orders.order_by("-created_at"))
            page = self.paginate_queryset(queryset)
            loaded = selectors.orders_load_lines_and_history(
                queryset if page is None else page, visible_lines=visible_lines
            )
            data = self.get_serializer(loaded, many=True).data
            return data if page is None else self.get_paginated_response(data).data

        if self._own_history(request):
            return self._cached(request, build)
        return Response(build())

    def retrieve(self, request, *args, **kwargs):
        # A customer's own order is cached as their history is, until one of their
        # orders changes (an order not theirs is a 404, never cached).
        def build():
            return super(OrderViewSet, self).retrieve(request, *args, **kwargs).data

        if self._own_history(request):
            return self._cached(request, build)
        return Response(build())

    @extend_schema(request=CheckoutSerializer, responses={201: OrderSerializer})
    def create(self, request):
        return place_order(request)

    @extend_schema(operation_id="orders_cancel", responses={200: OrderSerializer})
    def destroy(self, request, pk=None):
        """Cancel (orders are never destroyed): the stock returns, a paid order is refunded."""
        order = self.get_object()
        services.order_cancel(order=order, by=request.user)
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=FulfilmentCreateSerializer, responses={201: OrderSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="fulfilments",
        permission_classes=[permissions.IsAuthenticated],
    )
    def fulfilments(self, request, pk=None):
        """A shop sends (some of) its lines: carrier and tracking; the order becomes
        `partially_shipped`, or `shipped` once every shop sent everything."""
        order = self.get_object()
        serializer = FulfilmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.order_fulfil(
            order=order,
            shop_id=data.get("shop_id"),
            lines=[(line["line_id"], line["quantity"]) for line in data["lines"]]
            if data.get("lines")
            else None,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            tracking_url=data["tracking_url"],
            by=request.user,
        )
        return Response(
            OrderSerializer(
                self.get_queryset().get(pk=order.pk), context={"request": request}
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=OrderStatusSerializer, responses=OrderSerializer)
    @action(
        detail=True,
        methods=["put"],
        url_path="status",
        permission_classes=[policy_permission(policies.may_change_orders)],
    )
    def set_status(self, request, pk=None):
        order = self.get_object()
        serializer = OrderStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_set_status(
            order=order, status=serializer.validated_data["status"], by=request.user
        )
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)


class UserOrdersView(APIView):
    """A user's orders: that user, or staff who may see every order."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination  # paginated by hand below; named for the schema

    @extend_schema(responses=OrderSerializer(many=True))
    def get(self, request, user_id: int):
        if not policies.may_view_orders_of(request.user, user_id):
            raise NotFound()
        if not User.objects.filter(pk=user_id).exists():
            raise NotFound()
        orders, visible_lines, _own = selectors.order_visibility(user=request.user)
        orders = orders.filter(user_id=user_id).order_by("-created_at")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        page = selectors.orders_load_lines_and_history(page, visible_lines=visible_lines)
        return paginator.get_paginated_response(OrderSerializer(page, many=True).data)


class PeriodQuerySerializer(serializers.Serializer):
    """A report's period: order dates, both ends included, either open."""

    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_from"] > attrs["date_to"]
        ):
            raise serializers.ValidationError({"date_to": [_("date_to is before date_from.")]})
        return attrs


class SalesReportQuerySerializer(PeriodQuerySerializer):
    group_by = serializers.ChoiceField(choices=list(selectors.SALES_GROUPINGS), default="day")


class SalesRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="null: products without a category")
    label = serializers.CharField()
    sku = serializers.CharField(required=False, help_text="Grouped by variant: its SKU as sold.")
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    orders = serializers.IntegerField()
    units = serializers.IntegerField()


class SalesTotalsSerializer(serializers.Serializer):
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    orders = serializers.IntegerField()
    units = serializers.IntegerField()


class SalesReportSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(selectors.SALES_GROUPINGS))
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    results = SalesRowSerializer(many=True)
    totals = SalesTotalsSerializer()


class SalesReportView(APIView):
    permission_classes = [policy_permission(policies.may_view_sales)]

    @extend_schema(
        operation_id="reports_sales",
        parameters=[SalesReportQuerySerializer],
        responses=SalesReportSerializer,
    )
    def get(self, request):
        query = SalesReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.sales_report(**query.validated_data)
        dates = {key: query.validated_data.get(key) for key in ("date_from", "date_to")}
        totals = selectors.sales_totals(**dates)
        return Response(
            {
                "group_by": query.validated_data["group_by"],
                "date_from": query.validated_data.get("date_from"),
                "date_to": query.validated_data.get("date_to"),
                "currency": settings.DEFAULT_CURRENCY,
                "results": SalesRowSerializer(rows, many=True).data,
                "totals": SalesTotalsSerializer(totals).data,
            }
        )


class SellerStatementQuerySerializer(PeriodQuerySerializer):
    shop = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="One shop's statement."
    )


class SellerStatementSerializer(serializers.Serializer):
    shop_id = serializers.IntegerField()
    shop = serializers.CharField()
    orders = serializers.IntegerField()
    gross_sales = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunds = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax_collected = serializers.DecimalField(max_digits=14, decimal_places=2)
    commission_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    commission = serializers.DecimalField(max_digits=14, decimal_places=2)
    platform_discounts = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What the platform's discount codes took off the shop's sales (owed to it).",
    )
    net_owed = serializers.DecimalField(max_digits=14, decimal_places=2)


class SellerStatementsSerializer(serializers.Serializer):
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    results = SellerStatementSerializer(many=True)


class SellerStatementsView(APIView):
    """Each shop's gross sales, refunds, tax, commission and what it is owed: staff who
    may see sales for every shop, a shop's owners for their shops."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="reports_seller_statements",
        parameters=[SellerStatementQuerySerializer],
        responses=SellerStatementsSerializer,
    )
    def get(self, request):
        query = SellerStatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        dates = {key: query.validated_data.get(key) for key in ("date_from", "date_to")}
        rows = selectors.seller_statements_for(
            user=request.user, shop_id=query.validated_data.get("shop"), **dates
        )
        return Response(
            {
                **dates,
                "currency": settings.DEFAULT_CURRENCY,
                "results": SellerStatementSerializer(rows, many=True).data,
            }
        )
