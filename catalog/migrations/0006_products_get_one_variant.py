"""Every product of before variants becomes a product with one variant (no options)
carrying its SKU, price and stock; its summary fields are filled from that variant."""

from django.db import migrations
from django.db.models import F

BATCH = 2000


def forwards(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    rows = Product.objects.order_by("pk").values_list(
        "pk", "shop_id", "sku", "price", "stock_quantity", "low_stock_notified_at", "deleted_at"
    )
    batch = []
    for pk, shop_id, sku, price, stock, notified_at, deleted_at in rows.iterator(BATCH):
        batch.append(
            ProductVariant(
                product_id=pk,
                shop_id=shop_id,
                sku=sku,
                price=price,
                stock_quantity=stock,
                combination="",
                options_text="",
                low_stock_notified_at=notified_at,
                # A deleted product's SKU may be taken again by a live one: its variant
                # is deleted with it, as the SKU rule counts live variants only.
                deleted_at=deleted_at,
            )
        )
        if len(batch) >= BATCH:
            ProductVariant.objects.bulk_create(batch)
            batch = []
    ProductVariant.objects.bulk_create(batch)
    Product.objects.update(price_max=F("price"), variant_count=1)


def backwards(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    # Back to one row per product: its first live variant's SKU (prices and stock are the
    # summary fields, which the product kept). Written last wins: removed variants
    # first, then live ones from the last to the first.
    ordered = ProductVariant.objects.order_by(
        F("deleted_at").desc(nulls_last=True), "-position", "-pk"
    )
    for variant in ordered.iterator(BATCH):
        Product.objects.filter(pk=variant.product_id).update(sku=variant.sku)
    ProductVariant.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_product_variants")]

    operations = [migrations.RunPython(forwards, backwards)]
