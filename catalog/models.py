from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from shops.models import Shop
from taxes.models import TaxClass


class PricedQuerySet(models.QuerySet):
    """`.priced()`: the rows come with the running sales laid over their prices
    (catalog.pricing.apply_sale_prices), their prefetched variants too. For display and
    checkout; never for rows that will be saved."""

    _priced = False

    def priced(self):
        clone = self._chain()
        clone._priced = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._priced = self._priced
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._priced and self._result_cache:
            from catalog.pricing import apply_sale_prices

            apply_sale_prices(
                row for row in self._result_cache if isinstance(row, Product | ProductVariant)
            )


class SaleGuard:
    """A row with a sale price laid over it refuses to be saved: the regular price is the
    one stored (catalog.pricing)."""

    def save(self, *args, **kwargs):
        if getattr(self, "_sale_overlay", False):
            raise RuntimeError(
                f"{type(self).__name__} {self.pk} carries a sale price: save a fresh copy."
            )
        return super().save(*args, **kwargs)


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
        verbose_name_plural = _("categories")
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


class Product(SaleGuard, models.Model):
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
    # What a product sells is its variants (ProductVariant). The four fields below sum
    # them up for lists, sorts and filters, and are written only by the variant services
    # (catalog.services.variants) in the same transaction as the variants: the lowest
    # and highest price of its active variants, their stock together, and how many.
    price_max = models.DecimalField(max_digits=12, decimal_places=2, default=0, editable=False)
    stock_quantity = models.PositiveIntegerField(default=0)
    variant_count = models.PositiveSmallIntegerField(default=1, editable=False)
    is_active = models.BooleanField(default=True)
    # What shipping weighs and tax charges, unless a variant says otherwise.
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    tax_class = models.CharField(max_length=10, choices=TaxClass.choices, default=TaxClass.STANDARD)
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

    objects = PricedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
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
    def has_price_range(self) -> bool:
        return self.price_max > self.price

    @property
    def sku(self) -> str | None:
        """The SKU of its one variant on sale; None when it has several (or none). Read
        from the `single_sku` annotation of catalog.selectors when there is one (lists),
        else with a query."""
        if hasattr(self, "single_sku"):
            return self.single_sku
        skus = list(
            self.variants.filter(deleted_at__isnull=True, is_active=True).values_list(
                "sku", flat=True
            )[:2]
        )
        return skus[0] if len(skus) == 1 else None

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
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
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


# --- Variants --------------------------------------------------------------------------
# A product has up to MAX_OPTIONS options (Size, Colour, ...: named by the seller, each
# with ordered values) and 1 to MAX_VARIANTS variants, one per combination of values.
# A product without options has exactly one variant (combination ""). What is sold,
# reserved, restocked and ordered is a variant; the rules are catalog.services.variants.

MAX_OPTIONS = 3
MAX_VARIANTS = 500


class ProductOption(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                "product", Lower("name"), name="catalog_option_name_unique_per_product"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProductOptionValue(models.Model):
    option = models.ForeignKey(ProductOption, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                "option", Lower("value"), name="catalog_option_value_unique_per_option"
            )
        ]

    def __str__(self) -> str:
        return self.value


class ProductVariant(SaleGuard, models.Model):
    """One combination of a product's option values, with its own SKU, price and stock."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    # The product's shop (a product never moves shop): SKUs are unique per shop.
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+", editable=False)
    sku = models.CharField("SKU", max_length=64)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The regular price, shown struck through when higher than the price."),
    )
    stock_quantity = models.PositiveIntegerField(default=0)
    image = models.ForeignKey(
        ProductImage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty: the product's weight."),
    )
    tax_class = models.CharField(
        max_length=10,
        choices=TaxClass.choices,
        blank=True,
        help_text=_("Empty: the product's tax class."),
    )
    option_values = models.ManyToManyField(ProductOptionValue, blank=True, related_name="variants")
    # The ids of its option values in the options' order ("12-40"), "" for the one
    # variant of a product without options: two live variants never share it.
    combination = models.CharField(max_length=64, blank=True, editable=False)
    # "Size: M / Colour: Red", as carts and order lines show it ("" without options).
    options_text = models.CharField(max_length=250, blank=True, editable=False)
    low_stock_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PricedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "sku"],
                condition=Q(deleted_at__isnull=True),
                name="catalog_variant_sku_unique_per_shop",
            ),
            models.UniqueConstraint(
                fields=["product", "combination"],
                condition=Q(deleted_at__isnull=True),
                name="catalog_variant_combination_unique",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_variant_price_gte_0"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gte=0),
                name="catalog_variant_compare_at_gte_0",
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "position"],
                condition=Q(deleted_at__isnull=True),
                name="catalog_variant_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.options_text})" if self.options_text else self.sku

    @property
    def shipping_weight_kg(self) -> Decimal:
        """One unit's weight: the variant's, else the product's, else none."""
        weight = self.weight_kg if self.weight_kg is not None else self.product.weight_kg
        return weight or Decimal("0")

    @property
    def effective_tax_class(self) -> str:
        return self.tax_class or self.product.tax_class

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_discounted(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price


class RecentlyViewed(models.Model):
    """A signed-in person's recently viewed products (catalog.viewed): the newest
    RECENTLY_VIEWED_KEEP of them are kept. Guests keep theirs in a signed cookie."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recently_viewed"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="catalog_viewed_once")
        ]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="catalog_viewed_newest")]

    def __str__(self) -> str:
        return f"{self.user_id} viewed {self.product_id}"
