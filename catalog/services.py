"""Writes and business rules of the catalog (see CONVENTIONS.md)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from catalog.exceptions import AlreadyReviewed, InvalidImage, ReviewNotAllowed
from catalog.models import Category, Product, ProductImage, Review, Tag
from catalog.selectors import SEARCH_CONFIG, category_tree_invalidate
from config.errors import DomainValidationError
from shops.exceptions import ShopPermissionDenied
from shops.models import Shop
from shops.selectors import user_can_manage_shop, user_is_member
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


def _require_manager(*, user: User, shop: Shop) -> None:
    if not user_can_manage_shop(user=user, shop=shop):
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
    _require_manager(user=user, shop=shop)
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
    if "shop" in data and data["shop"] != product.shop:
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
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise _sku_error(product.sku) from exc
    if "tags" in data:
        product.tags.set(tags_get_or_create(names=data["tags"]))
    product_search_index_update(product_ids=[product.pk])
    return product


@transaction.atomic
def product_soft_delete(*, user: User, product: Product) -> None:
    """Hidden from the catalog and search for everyone; orders keep their snapshot."""
    _require_manager(user=user, shop=product.shop)
    product.deleted_at = timezone.now()
    product.is_active = False
    product.save(update_fields=["deleted_at", "is_active", "updated_at"])


@transaction.atomic
def products_set_active(*, products: Iterable[Product], is_active: bool) -> int:
    """Staff (or the shop's members, through the admin) publish or hide products."""
    ids = [product.pk for product in products]
    return Product.objects.filter(pk__in=ids, deleted_at__isnull=True).update(
        is_active=is_active, updated_at=timezone.now()
    )


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


def _require_author(*, user: User, review: Review) -> None:
    if review.user_id != user.pk and not user.is_staff:
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
def review_delete(*, user: User, review: Review) -> None:
    _require_author(user=user, review=review)
    product = review.product
    Product.objects.select_for_update().filter(pk=product.pk).first()
    review.delete()
    product_rating_refresh(product=product)


# --- Categories ------------------------------------------------------------------------


def _category_validate_parent(category: Category, parent: Category | None) -> None:
    node = parent
    while node is not None:
        if category.pk and node.pk == category.pk:
            message = "A category cannot be placed below itself."
            raise DomainValidationError(message, fields={"parent": [message]})
        node = node.parent


@transaction.atomic
def category_create(*, data: dict[str, Any]) -> Category:
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
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
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
def category_delete(*, category: Category) -> None:
    """Delete a category with no sub-categories; its products become uncategorised."""
    if category.children.exists():
        message = "Move or delete its sub-categories first."
        raise DomainValidationError(message, fields={"parent": [message]})
    product_ids = list(category.products.values_list("id", flat=True))
    category.delete()
    product_search_index_update(product_ids=product_ids)
    transaction.on_commit(category_tree_invalidate)


def slug_for(value: str) -> str:
    return slugify(value)
