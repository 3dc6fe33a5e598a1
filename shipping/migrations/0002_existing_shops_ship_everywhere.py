"""Every shop of before shipping zones ships everywhere by standard delivery at no
charge, as it did then; its members change that."""

from decimal import Decimal

from django.db import migrations


def forwards(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    ShippingZone = apps.get_model("shipping", "ShippingZone")
    ShippingMethod = apps.get_model("shipping", "ShippingMethod")
    for shop_id in Shop.objects.filter(shipping_zones__isnull=True).values_list("pk", flat=True):
        zone = ShippingZone.objects.create(shop_id=shop_id, name="Everywhere", countries="")
        ShippingMethod.objects.create(
            zone=zone,
            name="Standard delivery",
            kind="flat",
            price=Decimal("0.00"),
            min_days=3,
            max_days=7,
        )


def backwards(apps, schema_editor):
    ShippingZone = apps.get_model("shipping", "ShippingZone")
    ShippingZone.objects.filter(name="Everywhere", countries="").delete()


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
