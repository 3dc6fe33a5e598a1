from celery import shared_task

from catalog.services import product_image_make_thumbnail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_thumbnail(image_id: int) -> None:
    product_image_make_thumbnail(image_id=image_id)
