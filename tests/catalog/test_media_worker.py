"""Thumbnails are made by a real Celery worker, reached through the Redis broker."""

import io
import threading

import pytest
from celery import signals
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.services import THUMBNAIL_SIZE, product_image_add
from tests.factories import MembershipFactory, ProductFactory


def jpeg_upload(width: int, height: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def task_runs():
    """Where and how each make_thumbnail run happened: (thread name, eager?)."""
    runs: list[tuple[str, bool]] = []

    def record(sender=None, **kwargs):
        if sender is not None and sender.name == "catalog.tasks.make_thumbnail":
            runs.append((threading.current_thread().name, bool(sender.request.is_eager)))

    signals.task_postrun.connect(record, weak=False)
    yield runs
    signals.task_postrun.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_the_thumbnail_of_an_added_image(celery_worker, wait_for, task_runs):
    membership = MembershipFactory()
    product = ProductFactory(shop=membership.shop)

    # Not inside a transaction: the service commits, and on_commit queues the task.
    image = product_image_add(user=membership.user, product=product, upload=jpeg_upload(1600, 900))
    assert not ProductImage.objects.get(pk=image.pk).thumbnail  # the test did not make it

    thumbnail_name = wait_for(
        lambda: ProductImage.objects.filter(pk=image.pk).values_list("thumbnail", flat=True)[0],
        message="the worker to make the thumbnail",
    )
    # task_postrun fires just after the task's own commit.
    wait_for(lambda: task_runs, message="the task to finish")
    assert all(thread != threading.main_thread().name and not eager for thread, eager in task_runs)
    assert default_storage.exists(thumbnail_name)
    with default_storage.open(thumbnail_name, "rb") as stored, Image.open(stored) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.width <= THUMBNAIL_SIZE[0] and thumbnail.height <= THUMBNAIL_SIZE[1]
        assert thumbnail.size == (400, 225)  # the shape is kept
