import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import Order


class PaymentStatus(models.TextChoices):
    REQUIRES_PAYMENT_METHOD = (
        "requires_payment_method",
        pgettext_lazy("payment status", "Requires a payment method"),
    )
    REQUIRES_CONFIRMATION = (
        "requires_confirmation",
        pgettext_lazy("payment status", "Requires confirmation"),
    )
    REQUIRES_ACTION = "requires_action", pgettext_lazy("payment status", "Requires action")
    PROCESSING = "processing", pgettext_lazy("payment status", "Processing")
    SUCCEEDED = "succeeded", pgettext_lazy("payment status", "Succeeded")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    CANCELED = "canceled", pgettext_lazy("payment status", "Canceled")


OPEN_STATUSES = (
    PaymentStatus.REQUIRES_PAYMENT_METHOD,
    PaymentStatus.REQUIRES_CONFIRMATION,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.PROCESSING,
)


class Payment(models.Model):
    """One attempt to pay an order (a PaymentIntent at the provider)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    # The payer's account; null when a guest pays (their order has no account either).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    provider = models.CharField(max_length=20)
    provider_payment_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=32,
        choices=PaymentStatus.choices,
        default=PaymentStatus.REQUIRES_PAYMENT_METHOD,
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    client_secret = models.CharField(max_length=255, blank=True)
    # Where the payer approves it (PayPal's window), while it waits for that.
    redirect_url = models.URLField(max_length=500, blank=True)
    # What refunds go against when it is not the payment itself: PayPal's capture.
    provider_charge_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    payment_method = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    decline_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=OPEN_STATUSES),
                name="payments_one_open_payment_per_order",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payments_provider_payment_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("amount")),
                name="payments_refunded_at_most_amount",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Payment {self.id} ({self.status})"

    @property
    def refundable_amount(self):
        return self.amount - self.refunded_amount

    @property
    def is_confirmable(self) -> bool:
        """Still waiting for a card (or its confirmation): the one test of the pay page
        and of payments.services.payment_confirm."""
        if self.provider == "paypal":  # approved (or not) in PayPal's window: capture
            return self.status in (
                PaymentStatus.REQUIRES_ACTION,
                PaymentStatus.REQUIRES_CONFIRMATION,
            )
        return self.status in (
            PaymentStatus.REQUIRES_PAYMENT_METHOD,
            PaymentStatus.REQUIRES_CONFIRMATION,
        )


class RefundReason(models.TextChoices):
    REQUESTED_BY_CUSTOMER = "requested_by_customer", _("Requested by the customer")
    DUPLICATE = "duplicate", _("Duplicate")
    FRAUDULENT = "fraudulent", _("Fraudulent")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    OTHER = "other", _("Other")


class RefundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund status", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Succeeded")
    FAILED = "failed", pgettext_lazy("refund status", "Failed")
    CANCELED = "canceled", pgettext_lazy("refund status", "Canceled")


class Refund(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    reason = models.CharField(
        max_length=32, choices=RefundReason.choices, default=RefundReason.REQUESTED_BY_CUSTOMER
    )
    provider_refund_id = models.CharField(max_length=255, blank=True)
    # A return's refund gives back one shop's goods: its credit note is that shop's
    # (invoices). Null: the order's refund, credited by every shop in proportion.
    shop_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_refund_id"],
                condition=~Q(provider_refund_id=""),
                name="payments_provider_refund_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} of {self.payment_id}"


class WebhookEvent(models.Model):
    """A provider event, stored once under its id: a replay changes nothing."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    event_id = models.CharField(max_length=255)
    provider = models.CharField(max_length=20)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payments_webhook_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class ProviderCustomer(models.Model):
    """The person's customer record at a provider (a Stripe Customer)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_customers"
    )
    provider = models.CharField(max_length=20)
    customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider"], name="payments_one_customer_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} customer {self.customer_id}"


class SavedPaymentMethod(models.Model):
    """A card the person chose to keep (attached to their provider customer)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    provider = models.CharField(max_length=20)
    provider_method_id = models.CharField(max_length=255)
    brand = models.CharField(max_length=30, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_method_id"], name="payments_saved_method_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"
