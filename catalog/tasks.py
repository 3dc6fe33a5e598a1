from celery import shared_task

from catalog.models import ProductVariant
from catalog.services import product_image_make_thumbnail
from core.emails import render_email
from core.i18n import by_language
from shops.models import Shop
from shops.selectors import shop_owner_emails


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_thumbnail(image_id: int) -> None:
    product_image_make_thumbnail(image_id=image_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_low_stock_email(shop_id: int, variant_ids: list[int]) -> None:
    """One email to the shop's owners listing its variants that fell below the shop's
    low-stock threshold (catalog.services.variants_low_stock_check queues it)."""
    shop = Shop.objects.filter(pk=shop_id).first()
    recipients = shop_owner_emails(shop_id=shop_id) if shop is not None else []
    variants = list(
        ProductVariant.objects.filter(pk__in=variant_ids, shop_id=shop_id)
        .select_related("product")
        .order_by("stock_quantity", "product__name", "position", "pk")
    )
    if not recipients or not variants:
        return
    # One mail per language the owners read.
    for language, addresses in by_language(recipients).items():
        render_email(
            "catalog/email/low_stock",
            to=addresses,
            context={"shop": shop, "variants": variants, "threshold": shop.low_stock_threshold},
            language=language,
        ).send()
