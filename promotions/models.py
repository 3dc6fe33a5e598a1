"""Promotions: discount codes (vouchers) and timed sales.

A promotion says what it gives (a percentage or an amount off, or free shipping), on
what (its shop's lines, or the whole platform's; some categories, products or variants
only), when (a validity window) and how often (uses in all, once per customer). A
`code` promotion is reached through its vouchers (codes a shopper types); a `sale`
lowers catalog prices by itself while it runs. The arithmetic lives in cart.pricing
(codes) and catalog.pricing (sales); the rules of use in promotions.services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Product, ProductVariant
from shops.models import Shop


class Promotion(models.Model):
    class Kind(models.TextChoices):
        CODE = "code", _("Discount code")
        SALE = "sale", _("Sale")

    class Reward(models.TextChoices):
        PERCENTAGE = "percentage", _("Percentage off")
        FIXED = "fixed", _("Amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")

    # None: the platform's (made by staff), reaching every shop's lines.
    shop = models.ForeignKey(
        Shop, null=True, blank=True, on_delete=models.PROTECT, related_name="promotions"
    )
    name = models.CharField(max_length=120, help_text=_("Shown to shoppers beside the discount."))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CODE)
    reward = models.CharField(max_length=20, choices=Reward.choices, default=Reward.PERCENTAGE)
    # Percent (0 to 100) for a percentage, the amount for a fixed reduction; unused for
    # free shipping.
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # Of the lines it applies to, before the code's own reduction.
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # What it applies to: nothing chosen is everything (of its shop, for a shop's).
    # Categories include their sub-categories; `shops` only for the platform's.
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    variants = models.ManyToManyField(ProductVariant, blank=True, related_name="+")
    shops = models.ManyToManyField(Shop, blank=True, related_name="+")
    first_order_only = models.BooleanField(default=False)
    once_per_customer = models.BooleanField(default=False)
    # Uses of all its codes together (None: no limit).
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="promotion_value_gte_0",
                violation_error_message=_("The value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(reward="percentage") | Q(value__lte=100),
                name="promotion_percentage_lte_100",
                violation_error_message=_("A percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used_count__lte=F("usage_limit")),
                name="promotion_used_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="promotion_ends_after_start",
                violation_error_message=_("A promotion ends after it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "is_active", "ends_at"], name="promotion_live"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reward_text(self) -> str:
        if self.reward == self.Reward.PERCENTAGE:
            return gettext("%(percent)s%% off") % {"percent": f"{self.value.normalize():f}"}
        if self.reward == self.Reward.FIXED:
            return gettext("%(amount)s off") % {"amount": f"{self.value:.2f}"}
        return gettext("Free shipping")


class Voucher(models.Model):
    """A code of a `code` promotion. Codes are kept in capitals and typed in any case."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(max_length=40, unique=True)
    # Uses of this code (None: only the promotion's limit); 1 for a single-use code.
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["promotion", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used_count__lte=F("usage_limit")),
                name="voucher_used_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """One use of a code by an order, with what it gave. `order_id` names an order of the
    orders app (which sits above this one: no foreign key). A cancelled or expired unpaid
    order gives its use back (`released_at`)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_id = models.UUIDField(db_index=True)
    code = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # The order's total when placed: the revenue the code brought (the usage report).
    order_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["voucher", "order_id"], name="redemption_once_per_order"
            ),
        ]
        indexes = [
            models.Index(
                fields=["promotion", "user"],
                condition=Q(released_at__isnull=True),
                name="redemption_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.order_id}"
