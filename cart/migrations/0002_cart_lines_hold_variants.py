"""Cart lines hold a variant: every line of before gets its product's one variant."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    CartItem = apps.get_model("cart", "CartItem")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    first_variant = (
        ProductVariant.objects.filter(product_id=OuterRef("product_id"))
        .order_by("deleted_at", "position", "pk")
        .values("pk")[:1]
    )
    CartItem.objects.update(variant_id=Subquery(first_variant))


class Migration(migrations.Migration):
    dependencies = [
        ("cart", "0001_initial"),
        ("catalog", "0006_products_get_one_variant"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartitem",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.productvariant",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cartitem",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.productvariant",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="cartitem", name="cart_item_one_line_per_product"
        ),
        migrations.AddConstraint(
            model_name="cartitem",
            constraint=models.UniqueConstraint(
                fields=("cart", "variant"), name="cart_item_one_line_per_variant"
            ),
        ),
    ]
