"""Returns: a shopper asks to send back some units of a delivered order's lines (of one
shop), the shop approves or refuses, receives the goods, and what was paid for them is
refunded (returns.services)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy

from orders.models import Order, OrderLine
from shops.models import Shop


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("return status", "Requested")
    APPROVED = "approved", pgettext_lazy("return status", "Approved")
    REFUSED = "refused", pgettext_lazy("return status", "Refused")
    RECEIVED = "received", pgettext_lazy("return status", "Received")
    REFUNDED = "refunded", pgettext_lazy("return status", "Refunded")


class ReturnRequest(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="returns")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="returns"
    )
    status = models.CharField(
        max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    reason = models.TextField()
    # The shop's answer: how to send the goods back (approved), or why not (refused).
    instructions = models.TextField(blank=True)
    resellable = models.BooleanField(null=True, blank=True)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refund_id = models.UUIDField(null=True, blank=True)  # the payments app's Refund
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "status"])]

    def __str__(self) -> str:
        return gettext("Return %(id)s of %(order)s") % {"id": self.pk, "order": self.order_id}


class ReturnLine(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_gte_1"),
            models.UniqueConstraint(fields=["request", "order_line"], name="return_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line_id}"


class ReturnEvent(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, choices=ReturnStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReturnStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"
