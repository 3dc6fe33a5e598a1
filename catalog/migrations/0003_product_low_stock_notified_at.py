from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_postgresql_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="low_stock_notified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
