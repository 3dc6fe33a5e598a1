"""What happened that a person should know: stored for the notification centre (the
header's bell, /notifications/, the API), written by the services of the apps above
through notifications.services.notify."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """What a person chooses to hear about (accounts' preferences name two of them)."""

    ORDERS = "orders", _("My orders")  # the person's `order_updates`
    OFFERS = "offers", _("Offers")  # the person's `marketing_emails`
    SELLING = "selling", _("My shops")
    OPERATIONS = "operations", _("Operations")


class Kind(models.TextChoices):
    PAYMENT_SUCCEEDED = "payment_succeeded", _("Payment received")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    ORDER_STATUS = "order_status", _("Order status")
    ORDER_SENT = "order_sent", _("Items sent")
    RETURN_UPDATE = "return_update", _("Return update")
    PRICE_DROP = "price_drop", _("Price drop")
    NEW_ORDER = "new_order", _("New order")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    LOW_STOCK = "low_stock", _("Low stock")
    PAYMENT_PROBLEM = "payment_problem", _("Payment problem")


TOPIC_OF = {
    Kind.PAYMENT_SUCCEEDED: Topic.ORDERS,
    Kind.PAYMENT_FAILED: Topic.ORDERS,
    Kind.ORDER_STATUS: Topic.ORDERS,
    Kind.ORDER_SENT: Topic.ORDERS,
    Kind.RETURN_UPDATE: Topic.ORDERS,
    Kind.PRICE_DROP: Topic.OFFERS,
    Kind.NEW_ORDER: Topic.SELLING,
    Kind.RETURN_REQUESTED: Topic.SELLING,
    Kind.LOW_STOCK: Topic.SELLING,
    Kind.PAYMENT_PROBLEM: Topic.OPERATIONS,
}


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    # Where it leads (a path on the site: the order, the return, the admin page).
    link = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notifications_of_recipient"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notifications_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"
