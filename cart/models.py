from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Product, ProductVariant


class Cart(models.Model):
    """A signed-in person's cart, or a guest's (its id kept in the session)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    # An API guest's cart: the SHA-256 of the token the app sends as X-Cart-Token
    # (cart.auth); the token itself is never stored. Null for session and user carts.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["updated_at"], condition=Q(user__isnull=True), name="cart_guest_updated"
            )
        ]

    def __str__(self) -> str:
        return f"Cart {self.pk} of {self.user or 'a guest'}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    # The variant chosen; `product` is its product (kept for the for-sale joins).
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    # The price when the shopper last chose this quantity: a different current price
    # earns a notice. What is charged is always the current price.
    price_when_added = models.DecimalField(max_digits=12, decimal_places=2)
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant"], name="cart_item_one_line_per_variant"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class CartVoucher(models.Model):
    """A discount code the shopper entered; checked again at checkout. At most one of
    the platform's and one of each shop's (cart.services.cart_voucher_add)."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="vouchers")
    voucher = models.ForeignKey("promotions.Voucher", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "voucher"], name="cart_voucher_once"),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} in cart {self.cart_id}"


class WishlistItem(models.Model):
    """A product (or one of its variants) a signed-in shopper saved for later. A guest's
    wishlist lives in the session and joins this one at sign-in (cart.receivers)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"],
                condition=Q(variant__isnull=True),
                name="wishlist_product_once",
            ),
            models.UniqueConstraint(
                fields=["user", "variant"],
                condition=Q(variant__isnull=False),
                name="wishlist_variant_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.variant_id} saved by {self.user_id}"
