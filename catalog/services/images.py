"""Product images: checked on upload, stored, thumbnailed by a worker, changed and deleted."""

from __future__ import annotations

import io
import secrets

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from catalog.caching import products_changed
from catalog.exceptions import (
    InvalidImage,
)
from catalog.models import Product, ProductImage
from catalog.services.common import require_manager
from core.errors import DomainValidationError

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
        raise InvalidImage(_("Choose an image file to upload."))
    if upload.size > MAX_IMAGE_BYTES:
        raise InvalidImage(
            _("The image is larger than %(size)d MB.") % {"size": MAX_IMAGE_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise InvalidImage(
            _("The image is too large (more pixels than an image may have).")
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(
            _("This file is not an image we can read (JPEG, PNG, WebP or GIF).")
        ) from exc
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise InvalidImage(
            _("%(format)s images are not accepted: use JPEG, PNG, WebP or GIF.")
            % {"format": image_format}
            if image_format
            else _("This images are not accepted: use JPEG, PNG, WebP or GIF.")
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidImage(
            _("The image is too large (%(width)d x %(height)d pixels).")
            % {"width": width, "height": height}
        )
    try:  # decode once (bounded by the pixel limit): a cut-off file fails here
        with Image.open(upload) as image:
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(_("The image file is incomplete or damaged.")) from exc
    finally:
        upload.seek(0)
    return ALLOWED_IMAGE_FORMATS[image_format]


@transaction.atomic
def product_image_add(
    *, user: User, product: Product, upload: UploadedFile, alt: str = ""
) -> ProductImage:
    """Store an uploaded image; its thumbnail is made by a worker after commit."""
    require_manager(user=user, shop=product.shop)
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
    require_manager(user=user, shop=image.product.shop_id)
    changed = []
    if alt is not None:
        image.alt = alt.strip()[:200]
        changed.append("alt")
    if position is not None:
        if position < 0:
            message = _("A position is zero or more.")
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
    require_manager(user=user, shop=image.product.shop_id)
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
