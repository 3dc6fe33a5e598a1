from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from shops.models import Shop


class Category(models.Model):
    """A node of the category tree; a category's listing includes its sub-categories."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["position", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="catalog_category_not_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="catalog_tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    sku = models.CharField("SKU", max_length=64)
    stock_quantity = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    rating_average = models.DecimalField(
        max_digits=3, decimal_places=2, null=True, blank=True, editable=False
    )
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    # When the shop's owners were told that stock fell below the shop's threshold; cleared
    # when stock is back at or above it, so that each fall sends one email, not one a sale.
    low_stock_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Weighted words of name, tags, category and description; written by the product
    # services in the same transaction as the change (PostgreSQL; unused on SQLite).
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "sku"],
                condition=Q(deleted_at__isnull=True),
                name="catalog_product_sku_unique_per_shop",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_product_price_gte_0"),
        ]
        indexes = [
            models.Index(fields=["shop", "-created_at"]),
            models.Index(fields=["category", "-created_at"]),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(is_active=True, deleted_at__isnull=True),
                name="catalog_product_live_new",
            ),
            models.Index(
                fields=["price", "id"],
                condition=Q(is_active=True, deleted_at__isnull=True),
                name="catalog_product_live_price",
            ),
            # "Top rated" (the listings' sort and the home page's row: unrated products
            # last, ties by number of reviews, then newest) has its index on PostgreSQL
            # only, made by migration 0004: SQLite cannot index NULLS LAST.
            # Counting the catalog (and a shop's or a category's part of it) reads these
            # narrow indexes alone (index-only scans), not the wide rows.
            models.Index(
                fields=["shop", "category"],
                condition=Q(is_active=True, deleted_at__isnull=True),
                name="catalog_product_live_shop",
            ),
            models.Index(
                fields=["category", "shop"],
                condition=Q(is_active=True, deleted_at__isnull=True),
                name="catalog_product_live_category",
            ),
            models.Index(
                fields=["name", "id"],
                condition=Q(is_active=True, deleted_at__isnull=True),
                name="catalog_product_live_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


def product_thumbnail_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/thumbs/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=product_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    thumbnail = models.ImageField(upload_to=product_thumbnail_path, blank=True, editable=False)
    alt = models.CharField("alternative text", max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or f"Image {self.pk} of {self.product_id}"


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, max_length=5000)
    verified_purchase = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "user"], name="catalog_review_one_per_user"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="catalog_review_rating_1_5"
            ),
        ]
        indexes = [models.Index(fields=["product", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.product} by {self.user_id}"
