"""products/{id}/upload-image/: members add images; thumbnails come after commit."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.services import MAX_IMAGE_BYTES
from tests.catalog.conftest import png_bytes
from tests.factories import ProductFactory
from tests.perf.helpers import task_callbacks

pytestmark = pytest.mark.django_db


def upload(name="photo.png", content=None, content_type="image/png"):
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type)


@pytest.fixture
def product(shop_a):
    return ProductFactory(shop=shop_a)


def test_a_member_uploads_an_image_and_its_thumbnail_follows(
    client_of, product, clerk_a, django_capture_on_commit_callbacks
):
    client = client_of(clerk_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            f"/api/v1/products/{product.id}/upload-image",
            {"image": upload(), "alt": " Front view "},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "url", "thumbnail_url", "alt"}
    assert body["alt"] == "Front view"
    assert body["url"].startswith(f"http://testserver/media/products/{product.id}/")
    assert body["url"].endswith(".png")
    assert body["thumbnail_url"] is None  # made in the background, after commit
    assert len(task_callbacks(callbacks)) == 1  # the thumbnail task

    image = ProductImage.objects.get(pk=body["id"])
    assert (image.width, image.height) == (8, 8)
    assert image.thumbnail  # the task ran once the upload committed
    shown = client.get(f"/api/v1/products/{product.id}/").json()["images"]
    assert shown == [
        {
            "id": image.id,
            "url": body["url"],
            "thumbnail_url": f"http://testserver/media/{image.thumbnail.name}",
            "alt": "Front view",
        }
    ]


def test_images_keep_their_upload_order(client_of, product, owner_a):
    client = client_of(owner_a)
    for alt in ("one", "two"):
        response = client.post(
            f"/api/v1/products/{product.id}/upload-image/",
            {"image": upload(), "alt": alt},
            format="multipart",
        )
        assert response.status_code == 201
    images = client.get(f"/api/v1/products/{product.id}/").json()["images"]
    assert [image["alt"] for image in images] == ["one", "two"]


def bomb() -> bytes:
    """A small PNG (a few kB) whose header claims 64 million pixels."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")
    return buffer.getvalue()


def bmp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "BMP")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make_file",
    [
        lambda: upload("notes.txt", b"just some text", "text/plain"),
        lambda: upload("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        lambda: upload("picture.bmp", bmp(), "image/bmp"),
        lambda: upload("huge.png", png_bytes() + b"\x00" * MAX_IMAGE_BYTES),
        lambda: upload("bomb.png", bomb()),
    ],
    ids=["text", "not-an-image", "bmp", "too-big", "decompression-bomb"],
)
def test_a_file_that_is_not_an_acceptable_image_is_refused(client_of, product, owner_a, make_file):
    response = client_of(owner_a).post(
        f"/api/v1/products/{product.id}/upload-image/",
        {"image": make_file()},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["image"]
    assert not ProductImage.objects.exists()


def test_the_image_is_required(client_of, product, owner_a):
    response = client_of(owner_a).post(
        f"/api/v1/products/{product.id}/upload-image/", {"alt": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["image"]


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("customer", 403), ("owner_b", 403)]
)
def test_only_members_and_staff_upload(request, client_of, product, who, status):
    person = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_of(person).post(
        f"/api/v1/products/{product.id}/upload-image/", {"image": upload()}, format="multipart"
    )
    assert response.status_code == status
    assert not ProductImage.objects.exists()


def test_staff_upload_to_any_product(staff_client, product):
    response = staff_client.post(
        f"/api/v1/products/{product.id}/upload-image/", {"image": upload()}, format="multipart"
    )
    assert response.status_code == 201


def test_uploading_to_a_product_one_cannot_see_is_404(client_of, shop_b, owner_a):
    hidden = ProductFactory(shop=shop_b, is_active=False)
    response = client_of(owner_a).post(
        f"/api/v1/products/{hidden.id}/upload-image/", {"image": upload()}, format="multipart"
    )
    assert response.status_code == 404


def test_the_upload_takes_multipart_only(client_of, product, clerk_a):
    """The schema lists multipart alone for the upload (tests/api/test_content_types.py)."""
    client = client_of(clerk_a)
    url = f"/api/v1/products/{product.id}/upload-image/"
    response = client.post(url, {"alt": "Front view"}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    response = client.generic("POST", url, "alt=Front+view", "application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert client.post(url, {"image": upload()}, format="multipart").status_code == 201
    assert ProductImage.objects.filter(product=product).count() == 1
