"""Where each shop ships, how and for how much (see docs/architecture.md, "Shipping")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries.fields import CountryField

from shops.models import Shop


def estimate_text(min_days: int, max_days: int) -> str:
    """A delivery estimate as the pages, mails and API say it."""
    if min_days == max_days:
        return ngettext("%(days)d working day", "%(days)d working days", min_days) % {
            "days": min_days
        }
    return _("%(min)d to %(max)d working days") % {"min": min_days, "max": max_days}


class ShippingZone(models.Model):
    """A set of countries (optionally only some regions of them) a shop ships to. A zone
    without countries is "everywhere else": it serves an address that no other zone of
    the shop names."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="shipping_zones")
    name = models.CharField(max_length=100)
    countries = CountryField(multiple=True, blank=True)
    regions = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy(
            "Only these regions (as addresses write them) of the countries; empty: all."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shop_id", "name", "id"]

    def __str__(self) -> str:
        return f"{self.shop} — {self.name}"


class ShippingMethod(models.Model):
    class Kind(models.TextChoices):
        FLAT = "flat", gettext_lazy("Flat rate")
        FREE_OVER = "free_over", gettext_lazy("Free above a subtotal")
        WEIGHT = "weight", gettext_lazy("By weight")
        PICKUP = "pickup", gettext_lazy("Local pickup")

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="methods")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FLAT)
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=gettext_lazy(
            "Flat rate, pickup, or free-above below its threshold; unused by weight."
        ),
    )
    free_above = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "Free-above methods: free from this subtotal of the shop's lines on."
        ),
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    min_days = models.PositiveSmallIntegerField(
        default=1, help_text=gettext_lazy("Working days, at least.")
    )
    max_days = models.PositiveSmallIntegerField(
        default=5, help_text=gettext_lazy("Working days, at most.")
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="shipping_method_price_gte_0"),
            models.CheckConstraint(
                condition=Q(max_days__gte=models.F("min_days")),
                name="shipping_method_days_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(kind="free_over") | Q(free_above__isnull=False),
                name="shipping_method_free_over_has_threshold",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ShippingWeightTier(models.Model):
    """A weight-based method's price for parcels up to `up_to_kg` (inclusive)."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="tiers")
    up_to_kg = models.DecimalField(max_digits=8, decimal_places=3)
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["method_id", "up_to_kg"]
        constraints = [
            models.UniqueConstraint(fields=["method", "up_to_kg"], name="shipping_tier_unique"),
            models.CheckConstraint(
                condition=Q(up_to_kg__gt=0) & Q(price__gte=0), name="shipping_tier_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"≤ {self.up_to_kg} kg: {self.price}"
