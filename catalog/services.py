"""Writes and business rules of the catalog (see CONVENTIONS.md)."""

from __future__ import annotations

import csv
import dataclasses
import io
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count, F
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from catalog import policies
from catalog.caching import products_changed, shops_changed
from catalog.exceptions import (
    AlreadyReviewed,
    InvalidImage,
    ProductImportConflict,
    ProductImportFileInvalid,
    ProductImportInvalid,
    ReviewNotAllowed,
)
from catalog.models import Category, Product, ProductImage, Review, Tag
from catalog.selectors import SEARCH_CONFIG, category_tree_invalidate
from core.errors import DomainValidationError, NotPermitted
from shops.exceptions import ShopPermissionDenied
from shops.models import Shop
from shops.selectors import user_is_member
from shops.services import unique_slug

# --- Search index ----------------------------------------------------------------------

_SEARCH_VECTOR_SQL = f"""
UPDATE catalog_product AS p SET search_vector =
    setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(p.name, '')), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
        (SELECT string_agg(t.name, ' ') FROM catalog_tag t
           JOIN catalog_product_tags pt ON pt.tag_id = t.id
          WHERE pt.product_id = p.id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
        (SELECT c.name FROM catalog_category c WHERE c.id = p.category_id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(p.description, '')), 'C')
"""  # noqa: S608  (a constant config name; product ids are bound parameters)


def product_search_index_update(*, product_ids: Iterable[int] | None = None) -> None:
    """Rewrite the search words of these products (all when None), in the caller's
    transaction, so that a change is searchable the moment it commits."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if product_ids is None:
            cursor.execute(_SEARCH_VECTOR_SQL)
        else:
            ids = list(product_ids)
            if ids:
                cursor.execute(_SEARCH_VECTOR_SQL + " WHERE p.id = ANY(%s)", [ids])


# --- Tags ------------------------------------------------------------------------------


def tags_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    """Tags by name (case-insensitive); names not seen before become new tags."""
    tags: list[Tag] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(name=name, slug=unique_slug(Tag, name, max_length=80))
            except IntegrityError:  # created at the same moment elsewhere
                tag = Tag.objects.get(name__iexact=name)
        tags.append(tag)
    return tags


# --- Products --------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "description", "price", "stock_quantity", "category", "is_active")


def _require_manager(*, user: User | None, shop: Shop | int, action: str = "change") -> None:
    """`user` None is a trusted caller (a task, a command, an import by an operator)."""
    if user is not None and not policies.may_manage_products(user, shop, action):
        raise ShopPermissionDenied("Only the shop's owners and staff may change its products.")


def _sku_taken(*, shop: Shop, sku: str, exclude_pk: int | None = None) -> bool:
    taken = Product.objects.filter(shop=shop, sku=sku, deleted_at__isnull=True)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def _sku_error(sku: str) -> DomainValidationError:
    message = f"This shop already has a product with SKU {sku}."
    return DomainValidationError(message, fields={"sku": [message]})


def _generate_sku(shop: Shop) -> str:
    while True:
        sku = f"{shop.slug[:12].upper()}-{secrets.token_hex(4).upper()}"
        if not _sku_taken(shop=shop, sku=sku):
            return sku


def _validate_price(price: Any) -> Decimal:
    try:
        price = Decimal(str(price))
    except (ArithmeticError, ValueError) as exc:
        raise DomainValidationError(
            "Enter a valid price.", fields={"price": ["Enter a valid price."]}
        ) from exc
    if not price.is_finite():
        raise DomainValidationError(
            "Enter a valid price.", fields={"price": ["Enter a valid price."]}
        )
    if price < 0:
        message = "The price cannot be negative."
        raise DomainValidationError(message, fields={"price": [message]})
    return price.quantize(Decimal("0.01"))


@transaction.atomic
def product_create(*, user: User, shop: Shop, data: dict[str, Any]) -> Product:
    """A member of `shop` (or platform staff) adds a product; `tags` is a list of names."""
    _require_manager(user=user, shop=shop, action="add")
    product = Product(shop=shop, currency=shop_currency(shop))
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    product.price = _validate_price(data.get("price"))
    sku = (data.get("sku") or "").strip()
    if sku and _sku_taken(shop=shop, sku=sku):
        raise _sku_error(sku)
    product.sku = sku or _generate_sku(shop)
    product.slug = unique_slug(Product, product.name or "product", max_length=220)
    product.full_clean(exclude=["slug"])
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # the same SKU saved at the same moment
        raise _sku_error(product.sku) from exc
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    product_search_index_update(product_ids=[product.pk])
    return product


def shop_currency(shop: Shop) -> str:
    from django.conf import settings

    return settings.DEFAULT_CURRENCY


@transaction.atomic
def product_update(*, user: User, product: Product, data: dict[str, Any]) -> Product:
    _require_manager(user=user, shop=product.shop)
    shop = data.get("shop", product.shop_id)
    if getattr(shop, "pk", shop) != product.shop_id:
        message = "A product cannot move to another shop."
        raise DomainValidationError(message, fields={"shop": [message]})
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    if "price" in data:
        product.price = _validate_price(data["price"])
    if "sku" in data:
        sku = (data.get("sku") or "").strip()
        if not sku:
            sku = product.sku
        elif sku != product.sku and _sku_taken(shop=product.shop, sku=sku, exclude_pk=product.pk):
            raise _sku_error(sku)
        product.sku = sku
    product.full_clean()
    # Only the fields given are written: the row may have changed since `product` was
    # read (stock taken by checkouts), and what was not asked for must stay as it is.
    written = [field for field in (*PRODUCT_FIELDS, "price", "sku") if field in data]
    try:
        with transaction.atomic():
            product.save(update_fields=[*written, "updated_at"])
    except IntegrityError as exc:
        raise _sku_error(product.sku) from exc
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    if "stock_quantity" in data:
        products_low_stock_reset(product_ids=[product.pk])
    product_search_index_update(product_ids=[product.pk])
    return product


@transaction.atomic
def product_soft_delete(*, user: User, product: Product) -> None:
    """Hidden from the catalog and search for everyone; orders keep their snapshot."""
    _require_manager(user=user, shop=product.shop, action="delete")
    product.deleted_at = timezone.now()
    product.is_active = False
    product.save(update_fields=["deleted_at", "is_active", "updated_at"])


@transaction.atomic
def products_set_active(
    *, products: Iterable[Product], is_active: bool, user: User | None = None
) -> int:
    """Publish or hide products (soft-deleted ones stay hidden). When `user` is given,
    they must manage the shop of every product (platform staff manage all), else
    nothing changes; None is a trusted caller (a task, a script)."""
    ids = [product.pk for product in products]
    if user is not None:
        # The shops as stored, not as the caller's (possibly partly loaded) objects say.
        shop_ids = Product.objects.filter(pk__in=ids).values_list("shop_id", flat=True)
        for shop_id in set(shop_ids):
            _require_manager(user=user, shop=shop_id)
    changed = Product.objects.filter(pk__in=ids, deleted_at__isnull=True).update(
        is_active=is_active, updated_at=timezone.now()
    )
    products_changed(product_ids=ids)  # an update() sends no signal: empty the caches
    return changed


# --- Images ----------------------------------------------------------------------------

ALLOWED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # beyond this a small file can still decode to gigabytes
THUMBNAIL_SIZE = (400, 400)


def image_validate(upload: UploadedFile) -> str:
    """Check that `upload` really is a whole image of an allowed type and a sane size;
    answers the file extension to store it under. The header is read first, so that an
    image bomb is refused before anything is decoded."""
    if upload is None:
        raise InvalidImage("Choose an image file to upload.")
    if upload.size > MAX_IMAGE_BYTES:
        raise InvalidImage(f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise InvalidImage("The image is too large (more pixels than an image may have).") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(
            "This file is not an image we can read (JPEG, PNG, WebP or GIF)."
        ) from exc
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise InvalidImage(
            f"{image_format or 'This'} images are not accepted: use JPEG, PNG, WebP or GIF."
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidImage(f"The image is too large ({width} x {height} pixels).")
    try:  # decode once (bounded by the pixel limit): a cut-off file fails here
        with Image.open(upload) as image:
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage("The image file is incomplete or damaged.") from exc
    finally:
        upload.seek(0)
    return ALLOWED_IMAGE_FORMATS[image_format]


@transaction.atomic
def product_image_add(
    *, user: User, product: Product, upload: UploadedFile, alt: str = ""
) -> ProductImage:
    """Store an uploaded image; its thumbnail is made by a worker after commit."""
    _require_manager(user=user, shop=product.shop)
    extension = image_validate(upload)
    position = product.images.count()
    image = ProductImage(product=product, alt=alt.strip()[:200], position=position)
    image.image.save(f"{secrets.token_hex(8)}.{extension}", upload, save=False)
    image.save()
    from catalog.tasks import make_thumbnail

    transaction.on_commit(lambda: make_thumbnail.delay(image.pk))
    return image


@transaction.atomic
def product_image_update(
    *, user: User | None, image: ProductImage, alt: str | None = None, position: int | None = None
) -> ProductImage:
    """Change an image's text or its place among the product's images."""
    _require_manager(user=user, shop=image.product.shop_id)
    changed = []
    if alt is not None:
        image.alt = alt.strip()[:200]
        changed.append("alt")
    if position is not None:
        if position < 0:
            message = "A position is zero or more."
            raise DomainValidationError(message, fields={"position": [message]})
        image.position = position
        changed.append("position")
    if changed:
        image.save(update_fields=changed)
        products_changed(product_ids=[image.product_id])
    return image


@transaction.atomic
def product_image_delete(*, user: User | None, image: ProductImage) -> None:
    """Remove an image and its files (once the transaction commits)."""
    _require_manager(user=user, shop=image.product.shop_id)
    product_id = image.product_id
    files = [field for field in (image.image, image.thumbnail) if field]
    image.delete()
    products_changed(product_ids=[product_id])
    transaction.on_commit(lambda: [field.storage.delete(field.name) for field in files])


def product_image_make_thumbnail(*, image_id: int) -> ProductImage | None:
    """Write the image's thumbnail (JPEG, at most THUMBNAIL_SIZE); idempotent."""
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None or image.thumbnail:
        return image
    with image.image.open("rb") as source, Image.open(source) as picture:
        picture.draft("RGB", THUMBNAIL_SIZE)  # JPEGs decode at a fraction of their size
        picture.thumbnail(THUMBNAIL_SIZE)
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=85, optimize=True)
    name = f"{image.image.name.rsplit('/', 1)[-1].rsplit('.', 1)[0]}-thumb.jpg"
    image.thumbnail.save(name, ContentFile(buffer.getvalue()), save=False)
    ProductImage.objects.filter(pk=image.pk).update(thumbnail=image.thumbnail.name)
    products_changed(product_ids=[image.product_id])  # pages show the new thumbnail
    return image


# --- Reviews ---------------------------------------------------------------------------

PurchaseChecker = Callable[[User, Product], bool]
_purchase_checkers: list[PurchaseChecker] = []


def register_purchase_checker(checker: PurchaseChecker) -> None:
    """The orders app tells the catalog who bought what (it sits above the catalog)."""
    if checker not in _purchase_checkers:
        _purchase_checkers.append(checker)


def _bought(user: User, product: Product) -> bool:
    return any(checker(user, product) for checker in _purchase_checkers)


def product_rating_refresh(*, product: Product) -> None:
    stats = Review.objects.filter(product=product).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = stats["average"]
    Product.objects.filter(pk=product.pk).update(
        rating_average=Decimal(str(average)).quantize(Decimal("0.01"))
        if average is not None
        else None,
        rating_count=stats["count"],
    )


def _validate_rating(rating: Any) -> int:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        message = "Give a rating from 1 to 5 stars."
        raise DomainValidationError(message, fields={"rating": [message]})
    return rating


@transaction.atomic
def review_create(
    *, user: User, product: Product, rating: int, title: str = "", body: str = ""
) -> Review:
    """One review per person and product; the shop's own members may not review it."""
    if user_is_member(user=user, shop=product.shop_id):
        raise ReviewNotAllowed()
    Product.objects.select_for_update().filter(pk=product.pk).first()  # serialises the rating
    if Review.objects.filter(product=product, user=user).exists():
        raise AlreadyReviewed()
    review = Review(
        product=product,
        user=user,
        rating=_validate_rating(rating),
        title=title.strip(),
        body=body.strip(),
        verified_purchase=_bought(user, product),
    )
    review.full_clean(exclude=["product", "user"])
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise AlreadyReviewed() from exc
    product_rating_refresh(product=product)
    return review


def _require_author(*, user: User | None, review: Review, action: str = "change") -> None:
    if user is not None and not policies.may_moderate_review(user, review, action):
        raise ShopPermissionDenied("Only the review's author (or staff) may change it.")


@transaction.atomic
def review_update(*, user: User, review: Review, data: dict[str, Any]) -> Review:
    _require_author(user=user, review=review)
    Product.objects.select_for_update().filter(pk=review.product_id).first()
    if "rating" in data:
        review.rating = _validate_rating(data["rating"])
    for field in ("title", "body"):
        if field in data:
            setattr(review, field, (data[field] or "").strip())
    review.full_clean(exclude=["product", "user"])
    review.save()
    product_rating_refresh(product=review.product)
    return review


@transaction.atomic
def review_delete(*, user: User | None, review: Review) -> None:
    _require_author(user=user, review=review, action="delete")
    product = review.product
    Product.objects.select_for_update().filter(pk=product.pk).first()
    review.delete()
    product_rating_refresh(product=product)


# --- Tags ------------------------------------------------------------------------------


@transaction.atomic
def tag_update(*, tag: Tag, data: dict[str, Any], by: User | None = None) -> Tag:
    """Rename a tag (staff with `catalog.change_tag`): its products' search words follow."""
    if by is not None and not policies.may_manage_tags(by, "change"):
        raise NotPermitted("You do not have permission to change tags.")
    renamed = "name" in data and data["name"] != tag.name
    for field in ("name", "slug"):
        if field in data:
            setattr(tag, field, data[field])
    tag.full_clean()
    tag.save()
    if renamed:
        product_search_index_update(product_ids=tag.products.values_list("id", flat=True))
    return tag


@transaction.atomic
def tags_delete(*, tags, by: User | None = None) -> int:
    """Delete tags (staff with `catalog.delete_tag`); their products' search words follow."""
    if by is not None and not policies.may_manage_tags(by, "delete"):
        raise NotPermitted("You do not have permission to delete tags.")
    tags = Tag.objects.filter(pk__in=[tag.pk for tag in tags])
    product_ids = list(
        Product.objects.filter(tags__in=tags).values_list("id", flat=True).distinct()
    )
    count, _ = tags.delete()
    product_search_index_update(product_ids=product_ids)
    return count


# --- Categories ------------------------------------------------------------------------


def _category_validate_parent(category: Category, parent: Category | None) -> None:
    node = parent
    while node is not None:
        if category.pk and node.pk == category.pk:
            message = "A category cannot be placed below itself."
            raise DomainValidationError(message, fields={"parent": [message]})
        node = node.parent


def _require_category_manager(*, by: User | None, action: str) -> None:
    if by is not None and not policies.may_manage_categories(by, action):
        raise NotPermitted(f"You do not have permission to {action} categories.")


@transaction.atomic
def category_create(*, data: dict[str, Any], by: User | None = None) -> Category:
    _require_category_manager(by=by, action="add")
    category = Category(
        name=(data.get("name") or "").strip(),
        parent=data.get("parent"),
        description=data.get("description", ""),
        position=data.get("position", 0),
    )
    category.slug = data.get("slug") or unique_slug(Category, category.name, max_length=140)
    category.full_clean()
    category.save()
    transaction.on_commit(category_tree_invalidate)
    return category


@transaction.atomic
def category_update(
    *, category: Category, data: dict[str, Any], by: User | None = None
) -> Category:
    _require_category_manager(by=by, action="change")
    if "parent" in data:
        _category_validate_parent(category, data["parent"])
    renamed = "name" in data and data["name"] != category.name
    for field in ("name", "parent", "description", "position", "slug"):
        if field in data:
            setattr(category, field, data[field])
    category.full_clean()
    category.save()
    if renamed:
        product_search_index_update(product_ids=category.products.values_list("id", flat=True))
    transaction.on_commit(category_tree_invalidate)
    return category


@transaction.atomic
def category_delete(*, category: Category, by: User | None = None) -> None:
    """Delete a category with no sub-categories; its products become uncategorised."""
    _require_category_manager(by=by, action="delete")
    if category.children.exists():
        message = "Move or delete its sub-categories first."
        raise DomainValidationError(message, fields={"parent": [message]})
    product_ids = list(category.products.values_list("id", flat=True))
    category.delete()
    product_search_index_update(product_ids=product_ids)
    transaction.on_commit(category_tree_invalidate)


def slug_for(value: str) -> str:
    return slugify(value)


# --- Low stock -------------------------------------------------------------------------
# Each fall of a product's stock below its shop's `low_stock_threshold` emails the shop's
# owners once: `low_stock_notified_at` remembers the alert until stock is back at or above
# the threshold (a restock, a cancelled order), when it is cleared for the next fall.


@transaction.atomic
def products_low_stock_reset(*, product_ids: Iterable[int]) -> int:
    """Clear the alert of those products whose stock is back at or above their shop's
    threshold; answers how many were cleared."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    restocked = Product.objects.filter(
        pk__in=ids,
        low_stock_notified_at__isnull=False,
        stock_quantity__gte=F("shop__low_stock_threshold"),
    ).values("pk")
    return Product.objects.filter(pk__in=restocked).update(low_stock_notified_at=None)


# No savepoint inside a sale's or a cancellation's transaction (two round trips each
# checkout): nothing here is caught, an error undoes the caller's transaction anyway.
@transaction.atomic(savepoint=False)
def products_low_stock_check(*, product_ids: Iterable[int]) -> dict[int, list[int]]:
    """Call after the stock of these products changed (sales, cancellations), in the same
    transaction or after it. Products back at or above their shop's threshold are reset;
    products now below it whose owners were not told yet are marked, and each shop's
    owners get one email listing them, sent by a worker after commit. Answers
    {shop id: [product ids]} of the alerts queued."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    # Locked in primary-key order (the order every stock writer uses): two checks that
    # finish together agree on which one sends the alert.
    rows = (
        Product.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk",
            "shop_id",
            "stock_quantity",
            "shop__low_stock_threshold",
            "low_stock_notified_at",
            "deleted_at",
        )
    )
    restocked: list[int] = []
    falling: dict[int, list[int]] = {}
    # The stock shown on product pages and lists changed (sales update() the rows).
    shops_changed(shop_ids={row[1] for row in rows})
    for pk, shop_id, stock, threshold, notified_at, deleted_at in rows:
        if stock >= threshold:
            if notified_at is not None:
                restocked.append(pk)
        elif notified_at is None and deleted_at is None:
            falling.setdefault(shop_id, []).append(pk)
    if restocked:
        Product.objects.filter(pk__in=restocked).update(low_stock_notified_at=None)
    if falling:
        Product.objects.filter(
            pk__in=[pk for shop_ids in falling.values() for pk in shop_ids]
        ).update(low_stock_notified_at=timezone.now())
        from catalog.tasks import send_low_stock_email

        for shop_id, shop_product_ids in falling.items():
            transaction.on_commit(
                lambda shop_id=shop_id, shop_product_ids=shop_product_ids: (
                    send_low_stock_email.delay(shop_id, shop_product_ids)
                )
            )
    return falling


# --- Import ----------------------------------------------------------------------------
# A CSV file of products for one shop (`manage.py import_products`): every row is checked
# first and every problem reported with its line number; only a file without a single bad
# row is written, all of it in one transaction. Products are written in bulk (the
# per-product services would take minutes for thousands of rows), with their search words
# rewritten in the same transaction as product_create does.

IMPORT_COLUMNS = (
    "name",
    "description",
    "price",
    "stock_quantity",
    "sku",
    "category",
    "tags",
    "is_active",
)
IMPORT_REQUIRED_COLUMNS = ("name", "price", "stock_quantity", "sku")
IMPORT_TAG_SEPARATOR = ";"
IMPORT_BATCH_SIZE = 500
_IMPORT_TRUE = {"1", "true", "yes", "y", "on"}
_IMPORT_FALSE = {"0", "false", "no", "n", "off"}
_MAX_STOCK = 2_147_483_647  # PositiveIntegerField's ceiling on every database


@dataclass(frozen=True)
class ProductImportRow:
    """One data row of an import file: its first line's number and its cells by column;
    `problem` says why a row could not be split into the columns."""

    line: int
    values: dict[str, str]
    problem: str = ""


@dataclass(frozen=True)
class ProductImportError:
    line: int
    field: str  # a column, or "" when the whole row is at fault
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: {self.field}: " if self.field else f"line {self.line}: "
        return where + self.message


@dataclass
class ProductImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # existing products the file leaves as they are (not rewritten)
    tags_created: int = 0
    dry_run: bool = False
    product_ids: list[int] = dataclasses.field(default_factory=list)  # written ones


@dataclass
class _ImportPlan:
    line: int
    sku: str
    values: dict[str, Any]  # model field -> value, only the columns the file has
    tags: list[str] | None  # None: the file has no tags column
    product: Product | None = None  # the product to update (or, once written, created)
    is_new: bool = True
    changed: bool = True  # an existing product the row changes


def _import_columns_error(detail: str) -> ProductImportFileInvalid:
    required = ", ".join(IMPORT_REQUIRED_COLUMNS)
    optional = ", ".join(c for c in IMPORT_COLUMNS if c not in IMPORT_REQUIRED_COLUMNS)
    return ProductImportFileInvalid(
        f"{detail} The first line must name the columns, separated by commas: "
        f"{required} (required) and any of {optional}."
    )


def product_import_rows_read(*, content: bytes) -> list[ProductImportRow]:
    """Split a UTF-8 CSV file (a byte order mark is allowed) into rows by column name.
    A file that is not UTF-8 or whose first line does not name the columns raises
    ProductImportFileInvalid; blank lines are skipped."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ProductImportFileInvalid(
            f"The file is not UTF-8 text (byte 0x{content[exc.start]:02x} on line {line}): "
            "save it as “CSV UTF-8” and try again."
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise _import_columns_error("The file is empty or its first line is blank.")
        columns = [cell.strip().lower() for cell in header]
        unknown = [c for c in columns if c not in IMPORT_COLUMNS]
        missing = [c for c in IMPORT_REQUIRED_COLUMNS if c not in columns]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if repeated:
            problems.append(f"repeated column(s) {', '.join(repeated)}")
        if problems:
            raise _import_columns_error(f"Line 1 has {'; '.join(problems)}.")
        rows: list[ProductImportRow] = []
        last_line = reader.line_num
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                rows.append(
                    ProductImportRow(
                        line=line,
                        values={},
                        problem=f"expected {len(columns)} values, found {len(record)}.",
                    )
                )
                continue
            rows.append(ProductImportRow(line=line, values=dict(zip(columns, record, strict=True))))
    except csv.Error as exc:
        raise ProductImportFileInvalid(f"Line {reader.line_num}: {exc}.") from exc
    return rows


def _field_messages(name: str, value: Any) -> list[str]:
    """The model field's own validators (lengths, digits) on an already converted value."""
    from django.core.exceptions import ValidationError

    try:
        Product._meta.get_field(name).run_validators(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


class _CategoryFinder:
    """Categories by slug, or else by name (case-insensitive), loaded once."""

    def __init__(self) -> None:
        self.by_slug: dict[str, int] = {}
        self.by_name: dict[str, list[Category]] = {}
        for category in Category.objects.only("id", "slug", "name"):
            self.by_slug[category.slug] = category.pk
            self.by_name.setdefault(category.name.strip().lower(), []).append(category)

    def find(self, value: str) -> tuple[int | None, str]:
        if value in self.by_slug:
            return self.by_slug[value], ""
        named = self.by_name.get(value.lower(), [])
        if len(named) == 1:
            return named[0].pk, ""
        if named:
            slugs = ", ".join(category.slug for category in named)
            return None, f"Several categories are named “{value}”: give one's slug ({slugs})."
        return None, f"No category has the slug or name “{value}”."


def _import_row_validate(
    row: ProductImportRow, *, categories: _CategoryFinder
) -> tuple[_ImportPlan | None, list[tuple[str, str]]]:
    """A row's values converted to model values, or its problems as (column, message)."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    cells = {column: value.strip() for column, value in row.values.items()}

    name = cells["name"]
    if not name:
        errors.append(("name", "A product needs a name."))
    else:
        errors += [("name", message) for message in _field_messages("name", name)]
    values["name"] = name

    if "description" in cells:
        values["description"] = row.values["description"].strip()

    if not cells["price"]:
        errors.append(("price", "A price is needed."))
    else:
        try:
            price = _validate_price(cells["price"])
        except DomainValidationError as exc:
            errors.append(("price", exc.extra["fields"]["price"][0]))
        except ArithmeticError:  # too many digits to round to cents
            errors.append(("price", "Enter a valid price."))
        else:
            errors += [("price", message) for message in _field_messages("price", price)]
            values["price"] = price

    stock = cells["stock_quantity"]
    if not stock.isascii() or not stock.isdigit():
        errors.append(("stock_quantity", "Enter a whole number, 0 or more."))
    elif int(stock) > _MAX_STOCK:
        errors.append(("stock_quantity", f"Enter at most {_MAX_STOCK}."))
    else:
        values["stock_quantity"] = int(stock)

    sku = cells["sku"]
    if not sku:
        errors.append(("sku", "A SKU is needed: it names the product in later imports."))
    else:
        errors += [("sku", message) for message in _field_messages("sku", sku)]

    if "category" in cells:
        category_id, message = None, ""
        if cells["category"]:
            category_id, message = categories.find(cells["category"])
        if message:
            errors.append(("category", message))
        values["category_id"] = category_id

    tags: list[str] | None = None
    if "tags" in cells:
        tags = list(
            dict.fromkeys(
                " ".join(tag.split())
                for tag in cells["tags"].split(IMPORT_TAG_SEPARATOR)
                if tag.strip()
            )
        )
        errors += [
            ("tags", f"A tag name has at most 60 characters: “{tag[:20]}…”.")
            for tag in tags
            if len(tag) > 60
        ]

    if "is_active" in cells:
        flag = cells["is_active"].lower()
        if flag in _IMPORT_TRUE or flag == "":
            values["is_active"] = True
        elif flag in _IMPORT_FALSE:
            values["is_active"] = False
        else:
            errors.append(("is_active", "Enter true or false (yes/no, 1/0; empty means true)."))

    if errors:
        return None, errors
    return _ImportPlan(line=row.line, sku=sku, values=values, tags=tags), []


def _import_validate(
    rows: list[ProductImportRow], *, existing: dict[str, Product], update: bool
) -> tuple[list[_ImportPlan], list[ProductImportError]]:
    categories = _CategoryFinder()
    plans: list[_ImportPlan] = []
    errors: list[ProductImportError] = []
    first_line_of_sku: dict[str, int] = {}
    for row in rows:
        if row.problem:
            errors.append(ProductImportError(row.line, "", row.problem))
            continue
        plan, problems = _import_row_validate(row, categories=categories)
        sku = row.values["sku"].strip()
        if sku:
            if sku in first_line_of_sku:
                problems.append(("sku", f"SKU {sku} is also on line {first_line_of_sku[sku]}."))
            else:
                first_line_of_sku[sku] = row.line
                if sku in existing and not update:
                    problems.append(
                        (
                            "sku",
                            f"This shop already has a product with SKU {sku} "
                            "(--update changes existing products).",
                        )
                    )
        if problems:
            errors += [
                ProductImportError(row.line, column, message) for column, message in problems
            ]
            continue
        plan.product = existing.get(plan.sku)
        plan.is_new = plan.product is None
        plans.append(plan)
    return plans, errors


def _import_existing(*, shop: Shop, skus: list[str], lock: bool) -> dict[str, Product]:
    products = Product.objects.filter(shop=shop, deleted_at__isnull=True).order_by("pk")
    if lock:  # the rows to update, locked in primary-key order like every stock writer
        products = products.select_for_update(of=("self",))
    found: dict[str, Product] = {}
    for start in range(0, len(skus), IMPORT_BATCH_SIZE):
        found.update(
            (product.sku, product)
            for product in products.filter(sku__in=skus[start : start + IMPORT_BATCH_SIZE])
        )
    return found


def _tag_key(name: str) -> str:
    return " ".join(name.split())[:60].lower()


def _slugs_taken(candidates: Iterable[str]) -> set[str]:
    candidates = sorted(set(candidates))
    taken: set[str] = set()
    for start in range(0, len(candidates), IMPORT_BATCH_SIZE):
        taken.update(
            Product.objects.filter(
                slug__in=candidates[start : start + IMPORT_BATCH_SIZE]
            ).values_list("slug", flat=True)
        )
    return taken


def _import_slugs(plans: list[_ImportPlan]) -> list[str]:
    """Unique slugs for new products: the name's, else the name's and the SKU's, else
    that with a random suffix (the same file imported into a second shop)."""
    choices = []
    for plan in plans:
        base = slugify(plan.values["name"])[:200].strip("-") or "product"
        with_sku = f"{base}-{slugify(plan.sku)}"[:212].strip("-")
        choices.append((base, with_sku))
    taken = _slugs_taken(slug for pair in choices for slug in pair)
    slugs: list[str | None] = []
    for base, with_sku in choices:
        slug = next((choice for choice in (base, with_sku) if choice not in taken), None)
        if slug is not None:
            taken.add(slug)
        slugs.append(slug)
    while None in slugs:
        suffixed = {
            index: f"{choices[index][1]}-{secrets.token_hex(3)}"
            for index, slug in enumerate(slugs)
            if slug is None
        }
        taken |= _slugs_taken(suffixed.values())
        for index, slug in suffixed.items():
            if slug not in taken:
                taken.add(slug)
                slugs[index] = slug
    return slugs


def products_import(
    *,
    shop: Shop,
    rows: Iterable[ProductImportRow],
    user: User | None = None,
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ProductImportResult:
    """Create (and with `update`, change by SKU) `shop`'s products from import rows.

    Every row is validated first; any bad row raises ProductImportInvalid listing every
    problem with its line, and nothing is written. Otherwise all rows are written in one
    transaction, with their tags and search words; `dry_run` validates only. `user` must
    manage the shop; None is a trusted caller (an operator's command). `progress(n)` is
    called as rows are written.
    """
    if user is not None:
        _require_manager(user=user, shop=shop)
    rows = list(rows)
    skus = sorted({row.values["sku"].strip() for row in rows if not row.problem} - {""})
    try:
        with transaction.atomic():
            existing = _import_existing(shop=shop, skus=skus, lock=update and not dry_run)
            plans, errors = _import_validate(rows, existing=existing, update=update)
            if errors:
                raise ProductImportInvalid(errors)
            _import_mark_unchanged([plan for plan in plans if not plan.is_new])
            result = ProductImportResult(rows=len(plans), dry_run=dry_run)
            result.created = sum(1 for plan in plans if plan.is_new)
            result.updated = sum(1 for plan in plans if not plan.is_new and plan.changed)
            result.unchanged = len(plans) - result.created - result.updated
            tag_names = list(
                {_tag_key(tag): tag for plan in plans for tag in plan.tags or []}.values()
            )
            known_tags = _tags_known(tag_names)
            result.tags_created = len(tag_names) - len(known_tags)
            if not dry_run:
                _import_write(shop=shop, plans=plans, tag_names=tag_names, progress=progress)
                result.product_ids = [plan.product.pk for plan in plans if plan.changed]
    except IntegrityError as exc:  # a SKU or slug taken by another writer meanwhile
        raise ProductImportConflict() from exc
    return result


def _import_mark_unchanged(plans: list[_ImportPlan]) -> None:
    """Mark the rows that would leave their existing product as it is."""
    Through = Product.tags.through
    ids = [plan.product.pk for plan in plans if plan.tags is not None]
    current_tags: dict[int, set[str]] = {}
    for start in range(0, len(ids), IMPORT_BATCH_SIZE):
        for product_id, name in Through.objects.filter(
            product_id__in=ids[start : start + IMPORT_BATCH_SIZE]
        ).values_list("product_id", "tag__name"):
            current_tags.setdefault(product_id, set()).add(_tag_key(name))
    for plan in plans:
        product = plan.product
        plan.changed = any(getattr(product, name) != value for name, value in plan.values.items())
        if plan.tags is not None and not plan.changed:
            wanted = {_tag_key(tag) for tag in plan.tags}
            plan.changed = wanted != current_tags.get(product.pk, set())


def _tags_known(names: list[str]) -> set[str]:
    from django.db.models.functions import Lower

    keys = [_tag_key(name) for name in names]
    known: set[str] = set()
    for start in range(0, len(keys), IMPORT_BATCH_SIZE):
        known.update(
            Tag.objects.annotate(key=Lower("name"))
            .filter(key__in=keys[start : start + IMPORT_BATCH_SIZE])
            .values_list("key", flat=True)
        )
    return known


def _import_write(
    *,
    shop: Shop,
    plans: list[_ImportPlan],
    tag_names: list[str],
    progress: Callable[[int], Any] | None,
) -> None:
    tag_ids = {_tag_key(tag.name): tag.pk for tag in tags_get_or_create(names=tag_names)}
    now = timezone.now()
    currency = shop_currency(shop)

    new_plans = [plan for plan in plans if plan.is_new]
    for plan, slug in zip(new_plans, _import_slugs(new_plans), strict=True):
        plan.product = Product(shop=shop, currency=currency, sku=plan.sku, slug=slug, **plan.values)
    changed_plans = [plan for plan in plans if not plan.is_new and plan.changed]
    changed_fields = sorted({name for plan in changed_plans for name in plan.values})
    for plan in changed_plans:
        for name, value in plan.values.items():
            setattr(plan.product, name, value)
        plan.product.updated_at = now

    Through = Product.tags.through
    for start in range(0, len(plans), IMPORT_BATCH_SIZE):
        batch = plans[start : start + IMPORT_BATCH_SIZE]
        created = [plan.product for plan in batch if plan.is_new]
        if created:
            Product.objects.bulk_create(created)
            if created[0].pk is None:  # databases that answer no ids
                ids = dict(
                    Product.objects.filter(
                        shop=shop, deleted_at__isnull=True, sku__in=[p.sku for p in created]
                    ).values_list("sku", "id")
                )
                for product in created:
                    product.pk = product.id = ids[product.sku]
        changed = [plan.product for plan in batch if not plan.is_new and plan.changed]
        if changed:
            _products_update_rows(changed, [*changed_fields, "updated_at"])
        retagged = [plan for plan in batch if plan.tags is not None and plan.changed]
        Through.objects.filter(
            product_id__in=[plan.product.pk for plan in retagged if not plan.is_new]
        ).delete()
        Through.objects.bulk_create(
            Through(product_id=plan.product.pk, tag_id=tag_ids[_tag_key(tag)])
            for plan in retagged
            for tag in plan.tags
        )
        if progress is not None:
            progress(len(batch))

    if "stock_quantity" in changed_fields:
        products_low_stock_reset(product_ids=[plan.product.pk for plan in changed_plans])
    product_search_index_update(product_ids=[plan.product.pk for plan in plans if plan.changed])
    shops_changed(shop_ids=[shop.pk])  # bulk writes send no signals: empty the caches


def _products_update_rows(products: list[Product], field_names: list[str]) -> None:
    """Write these fields of each product with one prepared UPDATE run for every row
    (QuerySet.bulk_update's CASE expressions take seconds per thousand rows)."""
    fields = [Product._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(model_field.column)} = %s" for model_field in fields)
    sql = (
        f"UPDATE {quote(Product._meta.db_table)} SET {assignments} "  # noqa: S608 (column names)
        f"WHERE {quote(Product._meta.pk.column)} = %s"
    )
    params = [
        [
            *(
                model_field.get_db_prep_save(getattr(product, model_field.attname), connection)
                for model_field in fields
            ),
            product.pk,
        ]
        for product in products
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
