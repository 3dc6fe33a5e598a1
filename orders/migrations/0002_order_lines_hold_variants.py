"""Order lines name the variant sold and its options: every line of before gets its
product's one variant (the SKU snapshot it already has stays as it was)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    first_variant = (
        ProductVariant.objects.filter(product_id=OuterRef("product_id"))
        .order_by("deleted_at", "position", "pk")
        .values("pk")[:1]
    )
    OrderLine.objects.update(variant_id=Subquery(first_variant))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("catalog", "0006_products_get_one_variant"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_lines",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="variant_options",
            field=models.CharField(blank=True, default="", max_length=250),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderline",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_lines",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(fields=["variant"], name="orders_orde_variant_7f038a_idx"),
        ),
    ]
