"""Shops opened before approval existed count as approved when they opened."""

from django.db import migrations
from django.db.models import F


def approve_existing(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    Shop.objects.filter(approved_at__isnull=True).update(approved_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("shops", "0002_shop_approval")]

    operations = [migrations.RunPython(approve_existing, migrations.RunPython.noop)]
