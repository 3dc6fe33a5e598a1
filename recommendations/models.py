"""What the recommendations are computed into (recommendations.services)."""

from django.db import models

from catalog.models import Product


class ProductPair(models.Model):
    """How many paid orders held both products: "frequently bought together". Both
    directions are stored, so a product's partners are one index range."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    orders = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "other"], name="recommendations_pair_once")
        ]
        indexes = [models.Index(fields=["product", "-orders"], name="recommendations_partners")]

    def __str__(self) -> str:
        return f"{self.product_id} + {self.other_id}: {self.orders}"


class Progress(models.Model):
    """How far a computation has read the paid orders (its row is locked for each batch,
    so two runs never count an order twice)."""

    name = models.CharField(max_length=50, primary_key=True)
    # The last order read: its payment moment, and its id among orders paid at that moment.
    paid_until = models.DateTimeField(null=True, blank=True)
    last_order_id = models.UUIDField(null=True, blank=True)
    orders_counted = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "progress"

    def __str__(self) -> str:
        return f"{self.name}: until {self.paid_until}"
