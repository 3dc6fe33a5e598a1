import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy

from catalog.models import Product, ProductVariant
from shipping.models import estimate_text
from shops.models import Shop


class OrderStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("order status", "Pending payment")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    PROCESSING = "processing", pgettext_lazy("order status", "Processing")
    PARTIALLY_SHIPPED = "partially_shipped", pgettext_lazy("order status", "Partially shipped")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")


# What counts as a sale (revenue, reports, the dashboard): paid and not given back.
SALE_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.PROCESSING,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
# What was paid at some point (a verified purchase, the "paid" page), refunds included.
PAID_STATUSES = (*SALE_STATUSES, OrderStatus.REFUNDED)


class Order(models.Model):
    """A placed order. Never destroyed: cancelling and refunding are status changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True, editable=False)
    # The buyer's account; null for a guest's order (until an account adopts it).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    # Where the order's mails go: the account's address when it was placed, or the one
    # the guest gave (its adoption matches it against an account's verified addresses).
    email = models.EmailField(blank=True)
    # A guest's order placed through the API: the digest of its guest cart token, which
    # reads it back (cart.auth); blank otherwise.
    guest_key = models.CharField(max_length=64, blank=True, editable=False)
    # A guest's order above GUEST_CONFIRM_ABOVE waits for its email address to be
    # confirmed (the mailed link) before the sellers see it.
    awaiting_email = models.BooleanField(default=False)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The language the order was placed in: its mails and documents speak it to a guest
    # (an account's own preference wins: core.i18n.language_of).
    language = models.CharField(max_length=8, blank=True, default="")
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The tax of the lines and the shipping (cart.pricing): inside the subtotal and the
    # shipping when `prices_include_tax`, added to them otherwise.
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    prices_include_tax = models.BooleanField(default=False)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_address = models.JSONField()
    billing_address = models.JSONField(null=True, blank=True)
    # Stock is held for an unpaid order until then; null once paid or cancelled.
    reserved_until = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["guest_key"], condition=Q(user__isnull=True), name="orders_guest_key"
            ),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["-created_at"], name="orders_order_created"),
            models.Index(
                fields=["reserved_until"],
                condition=Q(status="pending"),
                name="orders_pending_reserved_until",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(subtotal__gte=0) & Q(refunded_total__gte=0),
                name="orders_order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__lte=models.F("total")),
                name="orders_order_refund_at_most_total",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Order %(number)s") % {"number": self.number}

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


class OrderLine(models.Model):
    """What was bought, as it was at checkout: later catalog changes do not touch it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.PROTECT, related_name="order_lines"
    )
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(max_length=200)
    # The variant's options as they were ("Size: M / Colour: Red"; "" without options).
    variant_options = models.CharField(max_length=250, blank=True)
    sku = models.CharField(max_length=64)
    shop_name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # Its share of the order's discount codes (cart.pricing.spread); its tax is on
    # line_total - discount_amount.
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The part of it the platform's codes gave: the platform pays it to the shop
    # (seller statements).
    platform_discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["shop", "order"]),
            models.Index(fields=["product"]),
            models.Index(fields=["variant"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_line_quantity_gte_1")
        ]

    def __str__(self) -> str:
        options = f" ({self.variant_options})" if self.variant_options else ""
        return f"{self.quantity} x {self.product_name}{options}"

    @property
    def paid_amount(self) -> Decimal:
        """What the shopper paid for this line: after its discount share, with its tax
        when prices exclude it (a refund of the line gives this back)."""
        paid = self.line_total - self.discount_amount
        return paid if self.order.prices_include_tax else paid + self.tax_amount


class OrderStatusChange(models.Model):
    """Every status an order went through, when, and who moved it (null: the system)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class Shipment(models.Model):
    """One shop's part of an order as it travels: the shipping method chosen at checkout
    (a snapshot: later changes to the method do not touch it) and its fulfilments."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("shipment status", "Not shipped yet")
        PARTIALLY_SHIPPED = (
            "partially_shipped",
            pgettext_lazy("shipment status", "Partially shipped"),
        )
        SHIPPED = "shipped", pgettext_lazy("shipment status", "Shipped")
        DELIVERED = "delivered", pgettext_lazy("shipment status", "Delivered")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="shipments")
    shop_name = models.CharField(max_length=200)
    # The method as chosen; the name, kind, price and estimate below are its snapshot. No
    # database constraint: a method removed while a checkout choosing it commits must not
    # fail that checkout (the id then names a method that is gone).
    method = models.ForeignKey(
        "shipping.ShippingMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    method_name = models.CharField(max_length=100)
    method_kind = models.CharField(max_length=10)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    # Taken off by a free-shipping code; the tax is on price - discount_amount.
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    platform_discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    min_days = models.PositiveSmallIntegerField()
    max_days = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The platform's commission on this part of the order, as it stood at checkout
    # (seller statements); null for orders placed before it was kept: the shop's rate.
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["order_id", "shop_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "shop"], name="orders_shipment_one_per_shop")
        ]
        indexes = [models.Index(fields=["shop", "order"])]

    def __str__(self) -> str:
        return f"{self.shop_name}: {self.method_name}"

    @property
    def estimate(self) -> str:
        return estimate_text(self.min_days, self.max_days)


class Fulfilment(models.Model):
    """Units of a shipment's lines sent together, with the carrier's tracking."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="fulfilments")
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip() or gettext("Fulfilment %(id)s") % {
            "id": self.pk
        }


class FulfilmentLine(models.Model):
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="fulfilment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orders_fulfilment_line_quantity_gte_1"
            ),
            models.UniqueConstraint(
                fields=["fulfilment", "order_line"], name="orders_fulfilment_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"
