from celery import shared_task

from catalog.models import Product
from catalog.services import product_image_make_thumbnail
from core.emails import render_email
from shops.models import Shop
from shops.selectors import shop_owner_emails


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_thumbnail(image_id: int) -> None:
    product_image_make_thumbnail(image_id=image_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_low_stock_email(shop_id: int, product_ids: list[int]) -> None:
    """One email to the shop's owners listing its products that fell below the shop's
    low-stock threshold (catalog.services.products_low_stock_check queues it)."""
    shop = Shop.objects.filter(pk=shop_id).first()
    recipients = shop_owner_emails(shop_id=shop_id) if shop is not None else []
    products = list(
        Product.objects.filter(pk__in=product_ids, shop_id=shop_id).order_by(
            "stock_quantity", "name"
        )
    )
    if not recipients or not products:
        return
    render_email(
        "catalog/email/low_stock",
        to=recipients,
        context={"shop": shop, "products": products, "threshold": shop.low_stock_threshold},
    ).send()
