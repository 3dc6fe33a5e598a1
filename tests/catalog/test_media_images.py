"""Uploaded product images are checked before they are stored, and thumbnails are made
from them (local storage; the S3 and real-worker variants have their own files)."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.exceptions import InvalidImage
from catalog.models import ProductImage
from catalog.services import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    THUMBNAIL_SIZE,
    image_validate,
    product_image_add,
    product_image_make_thumbnail,
)
from shops.exceptions import ShopPermissionDenied
from tests.factories import MembershipFactory, ProductFactory, UserFactory
from tests.perf.helpers import task_callbacks

UNREADABLE = "not an image we can read"


def image_bytes(image_format: str, *, size=(320, 240), mode="RGB") -> bytes:
    """A real image: a gradient, so that it compresses like a photo rather than to nothing."""
    gradient = Image.linear_gradient("L").resize(size)
    picture = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.ROTATE_90).resize(size),
            gradient.point(lambda v: 255 - v),
        ),
    )
    if mode == "RGBA":
        picture.putalpha(gradient)
    elif mode == "P":
        picture = picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels but holds a few bytes of data: what a
    decompression bomb looks like before it is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + chunk(b"IEND", b"")
    )


# --- image_validate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "extension"),
    [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")],
)
def test_the_four_accepted_formats_answer_their_extension(image_format, extension):
    # The name the browser sent does not matter: the content decides.
    assert image_validate(upload(image_bytes(image_format), name="upload.bin")) == extension


def test_the_file_is_left_at_its_start_for_storing():
    image = upload(image_bytes("PNG"))
    image_validate(image)
    assert image.tell() == 0


def test_a_text_file_named_png_is_refused():
    text = upload(b"name,price\nmug,9.99\n" * 20, name="photo.png")
    with pytest.raises(InvalidImage, match=UNREADABLE) as refused:
        image_validate(text)
    assert refused.value.as_dict()["fields"] == {"image": [refused.value.detail]}


def test_another_image_format_is_refused_by_name():
    with pytest.raises(InvalidImage, match="BMP images are not accepted"):
        image_validate(upload(image_bytes("BMP"), name="photo.png"))


def test_no_file_is_refused():
    with pytest.raises(InvalidImage, match="Choose an image file"):
        image_validate(None)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_a_truncated_image_is_refused(image_format):
    """Half a file (an interrupted upload) is refused at once, rather than stored and
    failing later in the thumbnail worker."""
    data = image_bytes(image_format, size=(640, 480))
    with pytest.raises(InvalidImage, match=f"{UNREADABLE}|incomplete or damaged"):
        image_validate(upload(data[: len(data) // 2]))


def test_an_image_bomb_is_refused_with_a_clear_message():
    bomb = png_header_only(20_000, 20_000)
    assert len(bomb) < 1024  # small on disk, 400 million pixels once decoded
    with pytest.raises(InvalidImage, match="too large") as refused:
        image_validate(upload(bomb, name="bomb.png"))
    assert UNREADABLE not in refused.value.detail


def test_an_image_over_the_pixel_limit_is_refused_with_its_size():
    width, height = 8_000, 6_000
    assert width * height > MAX_IMAGE_PIXELS
    with pytest.raises(InvalidImage, match=r"too large \(8000 x 6000 pixels\)"):
        image_validate(upload(png_header_only(width, height), name="huge.png"))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    data = image_bytes("PNG")
    too_big = upload(data + b"\x00" * (MAX_IMAGE_BYTES - len(data) + 1), name="big.png")
    assert too_big.size == MAX_IMAGE_BYTES + 1
    with pytest.raises(InvalidImage, match="larger than 10 MB"):
        image_validate(too_big)


# --- product_image_add and thumbnails ----------------------------------------------------


@pytest.fixture
def member(db):
    return MembershipFactory().user


@pytest.fixture
def product(member):
    return ProductFactory(shop=member.shop_memberships.get().shop)


def add(member, product, data: bytes, name: str = "photo.jpg") -> ProductImage:
    return product_image_add(user=member, product=product, upload=upload(data, name), alt=" Mug ")


def stored_image(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as stored:
        picture = Image.open(stored)
        picture.load()
    return picture


def test_an_added_image_is_stored_with_its_size_and_queued_for_a_thumbnail(
    member, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        image = add(member, product, image_bytes("PNG", size=(900, 600)), name="mug.png")
    assert image.image.name.startswith(f"products/{product.pk}/")
    assert image.image.name.endswith(".png")
    assert default_storage.exists(image.image.name)
    assert (image.width, image.height, image.alt, image.position) == (900, 600, "Mug", 0)
    assert not image.thumbnail
    tasks = task_callbacks(callbacks)
    assert len(tasks) == 1  # the thumbnail task, queued after commit

    tasks[0]()  # tasks run eagerly in tests
    image.refresh_from_db()
    assert stored_image(image.thumbnail.name).size == (400, 267)


def test_images_are_numbered_in_the_order_they_are_added(member, product):
    first = add(member, product, image_bytes("JPEG"))
    second = add(member, product, image_bytes("WEBP"), name="photo.webp")
    assert (first.position, second.position) == (0, 1)
    assert first.image.name != second.image.name


def test_only_the_shops_members_add_images_and_refused_files_are_not_stored(product):
    with pytest.raises(ShopPermissionDenied):
        add(UserFactory(), product, image_bytes("JPEG"))
    member = MembershipFactory(shop=product.shop).user
    with pytest.raises(InvalidImage):
        add(member, product, b"not an image", name="x.jpg")
    assert not ProductImage.objects.exists()
    assert not default_storage.exists(f"products/{product.pk}")


@pytest.mark.parametrize(
    ("image_format", "mode", "name"),
    [("PNG", "RGBA", "clear.png"), ("GIF", "P", "palette.gif"), ("WEBP", "RGB", "x.webp")],
)
def test_thumbnails_of_transparent_and_palette_images_are_rgb_jpegs(
    member, product, image_format, mode, name
):
    image = add(member, product, image_bytes(image_format, size=(1000, 500), mode=mode), name)
    made = product_image_make_thumbnail(image_id=image.pk)
    assert made.thumbnail.name.startswith(f"products/{product.pk}/thumbs/")
    assert made.thumbnail.name.endswith("-thumb.jpg")
    thumbnail = stored_image(made.thumbnail.name)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("JPEG", "RGB", (400, 200))
    assert ProductImage.objects.get(pk=image.pk).thumbnail.name == made.thumbnail.name


def test_a_small_image_is_not_enlarged(member, product):
    image = add(member, product, image_bytes("JPEG", size=(120, 80)))
    made = product_image_make_thumbnail(image_id=image.pk)
    assert stored_image(made.thumbnail.name).size == (120, 80)


def test_making_a_thumbnail_twice_changes_nothing(member, product):
    image = add(member, product, image_bytes("JPEG", size=(800, 800)))
    first = product_image_make_thumbnail(image_id=image.pk).thumbnail.name
    second = product_image_make_thumbnail(image_id=image.pk).thumbnail.name
    assert first == second
    _folders, files = default_storage.listdir(f"products/{product.pk}/thumbs")
    assert files == [first.rsplit("/", 1)[-1]]
    assert stored_image(first).size == THUMBNAIL_SIZE


def test_a_thumbnail_for_a_deleted_image_is_nothing_to_do(member, product):
    image = add(member, product, image_bytes("JPEG"))
    image_id = image.pk
    image.delete()
    assert product_image_make_thumbnail(image_id=image_id) is None
    assert product_image_make_thumbnail(image_id=999_999_999) is None
    assert not default_storage.exists(f"products/{product.pk}/thumbs")
