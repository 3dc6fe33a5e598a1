"""Run by test_small_holes.py in a process of its own, on an SQLite file: the quickstart's
database settings, a catalog, twenty threads writing at once, and meanwhile a thirty-word
search through the API. Prints what happened as JSON."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402

WRITERS = 20
WRITES_EACH = 15


def main() -> None:
    call_command("migrate", verbosity=0)
    from catalog.models import Product, Tag
    from shops.models import Shop

    shop = Shop.objects.create(name="Writers", slug="writers", approved_at="2026-01-01T00:00Z")
    tags = [Tag.objects.create(name=f"tag{n}", slug=f"tag{n}") for n in range(5)]
    products = []
    for n in range(60):
        product = Product.objects.create(
            shop=shop,
            name=f"Sturdy kettle {n}",
            slug=f"kettle-{n}",
            price="10.00",
            currency="USD",
            stock_quantity=1000,
            description="Boils water fast and quietly, every morning of the year.",
        )
        product.variants.create(shop=shop, sku=f"K-{n}", price="10.00", stock_quantity=1000)
        product.tags.set(tags)
        products.append(product)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]

    errors: list[str] = []
    writes = [0]
    lock = threading.Lock()

    def writer(index: int) -> None:
        try:
            for step in range(WRITES_EACH):
                with transaction.atomic():
                    target = products[(index * WRITES_EACH + step) % len(products)]
                    Product.objects.filter(pk=target.pk).update(
                        stock_quantity=F("stock_quantity") - 1
                    )
                    time.sleep(0.002)  # hold the write lock a moment, as a checkout does
                with lock:
                    writes[0] += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    words = " ".join(["kettle", "boils", "water"] * 10)  # thirty words, within 200 characters
    started = time.monotonic()
    response = Client().get("/api/v1/products/search/", {"q": words})
    search_seconds = time.monotonic() - started
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "journal_mode": journal_mode,
                "search_status": response.status_code,
                "search_count": response.json().get("count"),
                "search_seconds": search_seconds,
                "writes": writes[0],
                "errors": errors,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
