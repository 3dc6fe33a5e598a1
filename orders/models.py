import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Product, ProductVariant
from shops.models import Shop


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    PROCESSING = "processing", "Processing"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


# What counts as a sale (revenue, reports, the dashboard): paid and not given back.
SALE_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.PROCESSING,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
# What was paid at some point (a verified purchase, the "paid" page), refunds included.
PAID_STATUSES = (*SALE_STATUSES, OrderStatus.REFUNDED)


class Order(models.Model):
    """A placed order. Never destroyed: cancelling and refunding are status changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=20, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
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
        return f"Order {self.number}"


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


class OrderStatusChange(models.Model):
    """Every status an order went through, when, and who moved it (null: the system)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=12, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=OrderStatus.choices)
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
