from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Shop(models.Model):
    """A seller on the platform. Deactivating hides it and its products from the catalog.

    A new shop may have to wait for platform staff to approve it (SHOPS_REQUIRE_APPROVAL):
    until then it is inactive, and `approved_at` is empty.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    address = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    approved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When platform staff approved the shop; empty: awaiting approval."),
    )
    closed_by_staff = models.BooleanField(
        default=False, help_text=_("Closed by platform staff: only staff may reopen it.")
    )
    low_stock_threshold = models.PositiveIntegerField(
        default=5, help_text=_("Owners are emailed when a product's stock falls below this.")
    )
    return_window_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Days after delivery within which shoppers may ask for a return.")
    )
    return_instructions = models.TextField(
        blank=True,
        help_text=_("Sent to the shopper when a return is approved: where and how to send it."),
    )
    commission_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "The platform's commission on this shop's sales, in percent; empty: "
            "the platform's rate (PLATFORM_COMMISSION_RATE)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_rate__isnull=True)
                | (models.Q(commission_rate__gte=0) & models.Q(commission_rate__lte=100)),
                name="shops_commission_percentage",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        if self.is_active:
            return "active"
        return "pending_approval" if self.approved_at is None else "closed"


class ShopMembership(models.Model):
    """Who may manage a shop: its owners and its staff."""

    class Role(models.TextChoices):
        OWNER = "owner", pgettext_lazy("shop role", "Owner")
        STAFF = "staff", pgettext_lazy("shop role", "Staff")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shop_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="shops_membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "shop"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.shop}"
