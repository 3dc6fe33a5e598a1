"""Product images on S3: the real boto3 and django-storages against a local S3 server
(moto in server mode), reached over HTTP like AWS."""

import io
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from storages.backends.s3 import S3Storage

from catalog.services import product_image_add, product_image_make_thumbnail
from tests.factories import MembershipFactory, ProductFactory

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CREDENTIALS = {"access_key": "testing-key", "secret_key": "testing-secret"}  # moto takes any


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    werkzeug_log = logging.getLogger("werkzeug")  # one INFO line per request otherwise
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    werkzeug_log.setLevel(level)


@pytest.fixture
def s3_client(s3_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )


@pytest.fixture
def bucket(s3_client):
    """A new, empty bucket for each test."""
    name = f"shop-media-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def use_s3(settings, s3_endpoint, bucket):
    """`use_s3(**options)` makes S3 the default storage for this test, with the options
    config/settings.py gives it (the `settings` fixture resets Django's cached storages
    when STORAGES changes, and again when the test ends)."""

    def configure(**options) -> S3Storage:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": s3_endpoint,
                    "region_name": REGION,
                    "querystring_auth": True,
                    "file_overwrite": False,
                    "default_acl": None,
                    **CREDENTIALS,
                    **options,
                },
            },
        }
        storage = storages["default"]
        assert isinstance(storage, S3Storage)
        return storage

    return configure


@pytest.fixture
def s3_storage(use_s3):
    return use_s3()


def bucket_keys(s3_client, bucket: str) -> list[str]:
    answer = s3_client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def bucket_bytes(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()


def fetch(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:")  # never the real AWS
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (local http)
        assert answer.status == 200
        return answer.read()


def jpeg_bytes(size=(1200, 900)) -> bytes:
    gradient = Image.linear_gradient("L").resize(size)
    buffer = io.BytesIO()
    Image.merge("RGB", (gradient, gradient.rotate(90), gradient)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_the_default_storage_really_is_s3_in_the_test(s3_storage, bucket):
    default_storage.exists("anything")  # resolves the lazy default storage
    assert isinstance(default_storage._wrapped, S3Storage)
    assert default_storage.bucket_name == bucket


@pytest.mark.django_db
def test_an_uploaded_image_and_its_thumbnail_are_stored_in_the_bucket(
    s3_storage, s3_client, bucket
):
    membership = MembershipFactory()
    product = ProductFactory(shop=membership.shop)
    data = jpeg_bytes()

    image = product_image_add(
        user=membership.user,
        product=product,
        upload=SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"),
    )
    assert (image.width, image.height) == (1200, 900)
    assert bucket_keys(s3_client, bucket) == [image.image.name]
    assert image.image.name.startswith(f"products/{product.pk}/")
    assert bucket_bytes(s3_client, bucket, image.image.name) == data

    made = product_image_make_thumbnail(image_id=image.pk)  # reads the original from S3
    assert made.thumbnail.name.startswith(f"products/{product.pk}/thumbs/")
    assert bucket_keys(s3_client, bucket) == sorted([image.image.name, made.thumbnail.name])
    thumbnail = Image.open(io.BytesIO(bucket_bytes(s3_client, bucket, made.thumbnail.name)))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (400, 300))

    # Pages link to presigned URLs; a browser fetching one gets the same bytes.
    url = made.image.url
    assert "Signature=" in url and f"/{bucket}/" in url
    assert fetch(url) == data
    assert fetch(made.thumbnail.url) == bucket_bytes(s3_client, bucket, made.thumbnail.name)


def test_save_read_list_and_delete_on_s3(s3_storage, s3_client, bucket):
    name = s3_storage.save("products/7/notes.txt", ContentFile(b"first"))
    # file_overwrite=False, as in production: the same name never replaces a file.
    other = s3_storage.save("products/7/notes.txt", ContentFile(b"second"))
    assert name == "products/7/notes.txt" and other != name
    assert s3_storage.exists(name)
    with s3_storage.open(name, "rb") as stored:
        assert stored.read() == b"first"
    assert s3_storage.size(other) == len(b"second")
    folders, files = s3_storage.listdir("products/7")
    assert (folders, sorted(files)) == (
        [],
        sorted([name.rsplit("/", 1)[1], other.rsplit("/", 1)[1]]),
    )

    s3_storage.delete(name)
    assert not s3_storage.exists(name)
    assert bucket_keys(s3_client, bucket) == [other]


@pytest.mark.django_db
def test_deleting_an_images_files_removes_them_from_the_bucket(s3_storage, s3_client, bucket):
    membership = MembershipFactory()
    product = ProductFactory(shop=membership.shop)
    image = product_image_add(
        user=membership.user,
        product=product,
        upload=SimpleUploadedFile("photo.jpg", jpeg_bytes((300, 300))),
    )
    image = product_image_make_thumbnail(image_id=image.pk)
    assert len(bucket_keys(s3_client, bucket)) == 2

    image.thumbnail.delete(save=False)
    image.image.delete(save=False)
    assert bucket_keys(s3_client, bucket) == []


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_presigned_urls_work_and_unsigned_ones_are_refused(use_s3, signature_version):
    storage = use_s3(signature_version=signature_version, querystring_expire=60)
    name = storage.save("products/1/photo.jpg", ContentFile(jpeg_bytes((64, 64))))
    url = storage.url(name)
    with storage.open(name, "rb") as stored:
        assert fetch(url) == stored.read()
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(url.split("?", 1)[0], timeout=10)  # noqa: S310 (local http)
    assert unsigned.value.code == 403


PROBE = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
print(type(storages["default"]).__name__)
print(default_storage.save("probe/hello.txt", ContentFile(b"hello from settings")))
print(default_storage.url("probe/hello.txt"))
"""


def test_the_aws_variables_alone_put_uploads_in_the_bucket(s3_endpoint, s3_client, bucket):
    """A fresh process configured only by the environment (as production is) stores
    uploads in the bucket and hands out presigned URLs that work."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "true",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["access_key"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["secret_key"],
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    backend, name, url = result.stdout.split()
    assert (backend, name) == ("S3Storage", "probe/hello.txt")
    assert bucket_bytes(s3_client, bucket, name) == b"hello from settings"
    assert fetch(url) == b"hello from settings"
