"""Every order of before shipments gets one per shop of its lines: standard delivery at
no charge (what it cost then), shipped or delivered as the order was."""

from django.db import migrations

BATCH = 2000
SHIPMENT_STATUS = {"shipped": "shipped", "delivered": "delivered", "refunded": "pending"}


def forwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    Shipment = apps.get_model("orders", "Shipment")
    status_of = dict(Order.objects.values_list("pk", "status"))
    pairs = (
        OrderLine.objects.order_by("order_id", "shop_id")
        .values_list("order_id", "shop_id", "shop_name")
        .distinct()
    )
    batch = []
    for order_id, shop_id, shop_name in pairs.iterator(BATCH):
        batch.append(
            Shipment(
                order_id=order_id,
                shop_id=shop_id,
                shop_name=shop_name,
                method_name="Standard delivery",
                method_kind="flat",
                price=0,
                min_days=3,
                max_days=7,
                status=SHIPMENT_STATUS.get(status_of.get(order_id), "pending"),
            )
        )
        if len(batch) >= BATCH:
            Shipment.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Shipment.objects.bulk_create(batch, ignore_conflicts=True)


def backwards(apps, schema_editor):
    apps.get_model("orders", "Shipment").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_tax_shipments_fulfilments")]

    operations = [migrations.RunPython(forwards, backwards)]
