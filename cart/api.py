"""The cart API: the signed-in person's cart, or a guest's (X-Cart-Token: cart.auth)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import address_default
from cart import selectors, services
from cart.auth import GuestsWelcome
from cart.caching import cart_read, cart_read_keys
from cart.models import Cart
from cart.pricing import basket_rows
from cart.selectors import CartSummary
from catalog.api import ShopSummarySerializer, absolute_media_url
from catalog.selectors import product_list_public, product_list_visible, variants_visible_all
from core.rendering import json_bytes, json_response
from core.security.throttles import CartTokenThrottle
from shipping.models import ShippingMethod


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


class CartVariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField(), help_text="{name: value}")
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    stock_quantity = serializers.IntegerField()
    in_stock = serializers.BooleanField()
    image_url = serializers.CharField(allow_null=True)


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.id")
    product = CartProductSerializer()
    variant = serializers.SerializerMethodField()
    quantity = serializers.IntegerField(source="item.quantity")
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.BooleanField()
    notice = serializers.CharField()

    @extend_schema_field(CartVariantSerializer)
    def get_variant(self, line) -> dict:
        variant = line.variant
        image = line.image
        request = self.context.get("request")
        return {
            "id": variant.pk,
            "sku": variant.sku,
            "options": line.options,
            "price": f"{variant.price:.2f}",
            "compare_at_price": (
                f"{variant.compare_at_price:.2f}" if variant.compare_at_price is not None else None
            ),
            "stock_quantity": variant.stock_quantity,
            "in_stock": variant.in_stock,
            "image_url": absolute_media_url(request, image.thumbnail or image.image)
            if image
            else None,
        }


class CartNoticeSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    detail = serializers.CharField()


MONEY = {"max_digits": 12, "decimal_places": 2}


class ShippingOptionSerializer(serializers.Serializer):
    method_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ShippingMethod.Kind.choices)
    price = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    min_days = serializers.IntegerField()
    max_days = serializers.IntegerField()
    estimate = serializers.CharField(help_text="“3 to 5 working days”.")


class ShopRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ShopShippingSerializer(serializers.Serializer):
    shop = serializers.SerializerMethodField()
    item_ids = serializers.SerializerMethodField(help_text="The cart lines of this shop.")
    options = ShippingOptionSerializer(
        many=True, help_text="Cheapest first; empty: the shop does not ship to this address."
    )
    method_id = serializers.SerializerMethodField(
        help_text="The option priced in: the one chosen, else the cheapest; null when none."
    )
    subtotal = serializers.DecimalField(**MONEY)
    price = serializers.DecimalField(**MONEY, help_text="Shipping.")
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="Of the shipping, in percent."
    )
    tax_amount = serializers.DecimalField(**MONEY, help_text="Of the shipping.")

    @extend_schema_field(ShopRefSerializer)
    def get_shop(self, group) -> dict:
        return {"id": group.shop_id, "name": group.shop_name}

    def get_item_ids(self, group) -> list[int]:
        return [priced.line.ref for priced in group.lines]

    def get_method_id(self, group) -> int | None:
        return group.method.method_id if group.method else None


class TotalsRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["subtotal", "shipping", "discount", "tax", "tax_included", "total", "refunded"]
    )
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class CartEstimateSerializer(serializers.Serializer):
    """What the cart costs delivered to `country` (and `region`), computed as checkout
    computes it (cart.pricing)."""

    country = serializers.CharField()
    region = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    shipments = ShopShippingSerializer(source="groups", many=True)
    shippable = serializers.BooleanField(help_text="Every shop ships to this address.")
    subtotal = serializers.DecimalField(**MONEY)
    shipping_total = serializers.DecimalField(**MONEY)
    tax_total = serializers.DecimalField(**MONEY)
    discount_total = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    rows = serializers.SerializerMethodField(help_text="The figures as the pages show them.")

    @extend_schema_field(TotalsRowSerializer(many=True))
    def get_rows(self, totals) -> list[dict]:
        return TotalsRowSerializer(basket_rows(totals), many=True).data


class DiscountSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(help_text="The promotion's name.")
    amount = serializers.DecimalField(**MONEY, help_text="What the code takes off.")


class CartDiscountSerializer(DiscountSerializer):
    problem = serializers.CharField(
        help_text="Why it gives nothing now (no_eligible_line, minimum_not_reached), or ''."
    )
    detail = serializers.CharField(help_text="The problem in words, or ''.")


class VoucherProblemSerializer(serializers.Serializer):
    code = serializers.CharField(source="extra.voucher")
    error = serializers.CharField(source="code", help_text="voucher_expired, voucher_used_up...")
    detail = serializers.CharField()


class CartSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    items = CartLineSerializer(source="lines", many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discounts = serializers.SerializerMethodField(
        help_text="The cart's discount codes and what each takes off the lines (free "
        "shipping: off the estimate's shipping, 0.00 without an address)."
    )
    discount_total = serializers.SerializerMethodField()
    voucher_problems = VoucherProblemSerializer(
        many=True, help_text="Codes on the cart that can no longer be used (left out)."
    )
    total_items = serializers.IntegerField()
    currency = serializers.CharField()
    notices = CartNoticeSerializer(many=True)
    estimate = serializers.SerializerMethodField(
        help_text="Shipping, tax and total for the caller's default address (null without "
        "one, or for an empty cart); cart/shipping-options/ for another country."
    )

    def _totals(self, summary: CartSummary):
        if "totals" not in self.context:
            address = self.context.get("estimate_address")
            self.context["totals"] = selectors.cart_totals(
                summary=summary,
                country=address.country.code if address else "",
                region=address.region if address else "",
            )
        return self.context["totals"]

    def get_id(self, summary: CartSummary) -> int | None:
        return summary.cart.pk if summary.cart else None

    @extend_schema_field(CartDiscountSerializer(many=True))
    def get_discounts(self, summary: CartSummary) -> list[dict]:
        if not summary.offers:
            return []
        return CartDiscountSerializer(self._totals(summary).discounts, many=True).data

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_discount_total(self, summary: CartSummary) -> str:
        amount = self._totals(summary).discount_total if summary.offers else Decimal("0.00")
        return f"{amount:.2f}"

    @extend_schema_field(CartEstimateSerializer(allow_null=True))
    def get_estimate(self, summary: CartSummary) -> dict | None:
        if self.context.get("estimate_address") is None or not summary.lines:
            return None
        return CartEstimateSerializer(self._totals(summary)).data


class CartAddSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(
        min_value=1, required=False, help_text="The variant to add (see the product's variants)."
    )
    product_id = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Instead of variant_id, for a product with one variant; a product with "
        "several answers 400 variant_required.",
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=services.MAX_LINE_QUANTITY, default=1
    )

    def validate(self, attrs):
        if "variant_id" not in attrs and "product_id" not in attrs:
            raise serializers.ValidationError(
                {"variant_id": [_("Give variant_id (or product_id).")]}
            )
        return attrs


class CartQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=services.MAX_LINE_QUANTITY)


def request_cart(request, *, create: bool = True) -> Cart | None:
    """The caller's cart: the signed-in person's (made on first write when `create`),
    or the guest cart their X-Cart-Token names (404 `cart_token_unknown` if none)."""
    user = request.user
    if user.is_authenticated:
        if create:
            return services.cart_get_for_user(user=user)
        return selectors.cart_find_for_user(user=user)
    return services.cart_get_for_token(key=user.key)


def cart_data(request, cart) -> dict:
    summary = selectors.cart_summary(cart=cart)
    context = {"request": request}
    if summary.lines and request.user.is_authenticated:  # a guest has no address book
        context["estimate_address"] = address_default(user=request.user)
    return CartSerializer(summary, context=context).data


def cart_response(request, cart, status_code=status.HTTP_200_OK) -> Response:
    return Response(cart_data(request, cart), status=status_code)


class ShippingOptionsQuerySerializer(serializers.Serializer):
    country = CountryField(help_text="ISO code of the country to deliver to.")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CartShippingOptionsView(GuestsWelcome, APIView):
    @extend_schema(
        operation_id="cart_shipping_options",
        parameters=[ShippingOptionsQuerySerializer],
        responses=CartEstimateSerializer,
    )
    def get(self, request):
        """Each shop's shipping options for the cart delivered to `country`, and the
        totals with the cheapest of each (what checkout charges unless others are chosen)."""
        query = ShippingOptionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = selectors.cart_summary(cart=request_cart(request, create=False))
        totals = selectors.cart_totals(
            summary=summary,
            country=str(query.validated_data["country"]),
            region=query.validated_data["region"],
        )
        return Response(CartEstimateSerializer(totals).data)


class NoFieldsSerializer(serializers.Serializer):
    """An empty JSON object (or no body)."""


class CartTokenSerializer(serializers.Serializer):
    cart_token = serializers.CharField(
        help_text="Send it as the X-Cart-Token header with the cart, checkout, order and "
        "payment calls; sign in with it to merge the cart into the account's."
    )


class CartTokenView(APIView):
    """A guest cart for an app whose user has not signed in."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [CartTokenThrottle]

    @extend_schema(
        operation_id="cart_token_create",
        request=NoFieldsSerializer,
        responses={201: CartTokenSerializer},
    )
    def post(self, request):
        """A new, empty guest cart and its token (shown once: only its digest is kept).
        Guest carts untouched for GUEST_CART_DAYS are deleted."""
        _cart, token = services.cart_token_issue()
        return Response({"cart_token": token}, status=status.HTTP_201_CREATED)


class CartView(GuestsWelcome, APIView):
    def cache_read_ahead_keys(self, request) -> list[str]:
        """A person's cached cart, read in the rate limit's round trip
        (core.security.throttles)."""
        if request.method == "GET" and request.user.is_authenticated:
            return cart_read_keys(user_id=request.user.pk, host=request.build_absolute_uri("/"))
        return []

    @extend_schema(operation_id="cart_retrieve", responses=CartSerializer)
    def get(self, request):
        if request.user.is_authenticated:  # a person's cart: cached (cart.caching)
            content = cart_read(
                user_id=request.user.pk,
                host=request.build_absolute_uri("/"),
                # Stored rendered (core.rendering): the JSON is made once, not on every hit.
                build=lambda: json_bytes(cart_data(request, request_cart(request, create=False))),
                read_ahead=getattr(request, "cache_read_ahead", None),
            )
            return json_response(request, content)
        return cart_response(request, request_cart(request, create=False))

    @extend_schema(operation_id="cart_clear", responses={204: None})
    def delete(self, request):
        services.cart_clear(cart=request_cart(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartAddView(GuestsWelcome, APIView):
    @extend_schema(operation_id="cart_add", request=CartAddSerializer, responses=CartSerializer)
    def post(self, request):
        serializer = CartAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cart = request_cart(request)  # a guest's unknown token: 404 before anything else
        fresh = False
        if "variant_id" in data:
            # Most variants asked for are for sale: read once, as the cart adds them (any
            # caller may see those); only another one is looked up among what the caller
            # may see (404 if not, else the service's 409 product_unavailable).
            variant = selectors.variant_purchasable(variant_id=data["variant_id"])
            fresh = variant is not None
            if variant is None:
                variant = (
                    variants_visible_all(user=request.user)
                    .select_related("product")
                    .filter(pk=data["variant_id"])
                    .first()
                )
            if variant is None:
                raise NotFound(_("No such variant."))
        else:
            # Most products asked for are in the public catalog: found there, the
            # caller's shops (what else they may see) need not be looked up.
            product = (
                product_list_public().filter(pk=data["product_id"]).first()
                or product_list_visible(user=request.user).filter(pk=data["product_id"]).first()
            )
            if product is None:
                raise NotFound(_("No such product."))
            variant = services.cart_variant_of(product=product)
        services.cart_add_item(cart=cart, variant=variant, quantity=data["quantity"], fresh=fresh)
        return cart_response(request, cart)


class CartItemView(GuestsWelcome, APIView):
    def _item(self, cart, item_id):
        item = selectors.cart_item_get(cart=cart, item_id=item_id)
        if item is None:
            raise NotFound(_("No such line in your cart."))
        return item

    @extend_schema(
        operation_id="cart_item_update", request=CartQuantitySerializer, responses=CartSerializer
    )
    def put(self, request, item_id: int):
        serializer = CartQuantitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = request_cart(request)
        services.cart_set_quantity(
            cart=cart,
            item=self._item(cart, item_id),
            quantity=serializer.validated_data["quantity"],
        )
        return cart_response(request, cart)

    @extend_schema(operation_id="cart_item_remove", responses={204: None})
    def delete(self, request, item_id: int):
        cart = request_cart(request)
        services.cart_remove_item(cart=cart, item=self._item(cart, item_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartVoucherSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text="A discount code, in any case.")


class CartVoucherRemoveSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=100, required=False, help_text="The code to take off; none: every code."
    )


class CartVoucherView(GuestsWelcome, APIView):
    @extend_schema(
        operation_id="cart_voucher_add", request=CartVoucherSerializer, responses=CartSerializer
    )
    def post(self, request):
        """Put a discount code on the cart. 400 voucher_unknown, voucher_expired,
        voucher_used_up, voucher_already_used, or voucher_not_applicable with `reason`
        (minimum_not_reached, no_eligible_line, first_order_only, not_started,
        account_required)."""
        serializer = CartVoucherSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = request_cart(request)
        services.cart_voucher_add(
            cart=cart, code=serializer.validated_data["code"], user=request.user
        )
        return cart_response(request, cart)

    @extend_schema(
        operation_id="cart_voucher_remove",
        request=CartVoucherRemoveSerializer,
        responses={200: CartSerializer},
    )
    def delete(self, request):
        """Take a code (or every code) off the cart; answers the cart."""
        serializer = CartVoucherRemoveSerializer(data=request.data or request.query_params)
        serializer.is_valid(raise_exception=True)
        cart = request_cart(request)
        services.cart_voucher_remove(cart=cart, code=serializer.validated_data.get("code"))
        return cart_response(request, cart)


# --- Wishlist -------------------------------------------------------------------------


class WishlistTargetSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    variant_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="One of its variants; left out: the product.",
    )


class SavedItemSerializer(serializers.Serializer):
    product = CartProductSerializer()
    variant = serializers.SerializerMethodField()
    price = serializers.DecimalField(**MONEY, help_text="Today's price (a sale's when one runs).")
    in_stock = serializers.BooleanField()
    added_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(CartVariantSerializer(allow_null=True))
    def get_variant(self, item) -> dict | None:
        variant = item.variant
        if variant is None:
            return None
        return {
            "id": variant.pk,
            "sku": variant.sku,
            "options": {},
            "price": f"{variant.price:.2f}",
            "compare_at_price": (
                f"{variant.compare_at_price:.2f}" if variant.compare_at_price is not None else None
            ),
            "stock_quantity": variant.stock_quantity,
            "in_stock": variant.in_stock,
            "image_url": None,
        }


class WishlistSerializer(serializers.Serializer):
    items = SavedItemSerializer(many=True)


def _wishlist_target(request, data) -> tuple:
    product = (
        product_list_public().filter(pk=data["product_id"]).first()
        or product_list_visible(user=request.user).filter(pk=data["product_id"]).first()
    )
    if product is None:
        raise NotFound(_("No such product."))
    variant = None
    if data.get("variant_id"):
        variant = (
            variants_visible_all(user=request.user)
            .filter(pk=data["variant_id"], product=product)
            .first()
        )
        if variant is None:
            raise NotFound(_("No such variant of this product."))
    return product, variant


def wishlist_response(request, status_code=status.HTTP_200_OK) -> Response:
    items = selectors.wishlist_items(user=request.user)
    return Response(
        WishlistSerializer({"items": items}, context={"request": request}).data, status=status_code
    )


class WishlistView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="wishlist_retrieve", responses=WishlistSerializer)
    def get(self, request):
        """The caller's saved items still for sale, newest first, at today's prices."""
        return wishlist_response(request)

    @extend_schema(
        operation_id="wishlist_add",
        request=WishlistTargetSerializer,
        responses={201: WishlistSerializer},
    )
    def post(self, request):
        """Save a product (or one of its variants); saving it again changes nothing."""
        serializer = WishlistTargetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product, variant = _wishlist_target(request, serializer.validated_data)
        services.wishlist_add(user=request.user, product=product, variant=variant)
        return wishlist_response(request, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="wishlist_remove",
        request=WishlistTargetSerializer,
        responses={200: WishlistSerializer},
    )
    def delete(self, request):
        """Take a product (or variant) off the wishlist; answers the wishlist."""
        serializer = WishlistTargetSerializer(data=request.data or request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.wishlist_remove(
            user=request.user, product_id=data["product_id"], variant_id=data.get("variant_id")
        )
        return wishlist_response(request)


class WishlistMoveView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wishlist_move_to_cart",
        request=WishlistTargetSerializer,
        responses=CartSerializer,
    )
    def post(self, request):
        """Move a saved item to the cart (one unit); answers the cart. A product with
        several variants needs `variant_id` (400 `variant_required`)."""
        serializer = WishlistTargetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product, variant = _wishlist_target(request, serializer.validated_data)
        cart = services.cart_get_for_user(user=request.user)
        services.wishlist_move_to_cart(
            user=request.user, cart=cart, product=product, variant=variant
        )
        return cart_response(request, cart)
