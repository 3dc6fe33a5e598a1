"""A product's SKU is its variants' now. The column is given an empty default first, so
that migrating back re-adds it to a table with rows (0006 then fills it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_products_get_one_variant"),
    ]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="sku",
            field=models.CharField("SKU", max_length=64, default=""),
        ),
        migrations.RemoveField(
            model_name="product",
            name="sku",
        ),
    ]
