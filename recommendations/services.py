"""Computing "frequently bought together": how often two products were in the same paid
order, counted into ProductPair by a Celery beat task (recommendations.tasks), never in
a request.

Incremental: Progress remembers the last order read (its payment moment and id); each
run reads only the orders paid after it, up to `RECOMMENDATIONS_SETTLE_SECONDS` ago (an
order paid in a transaction still open is not missed: it is read on the next run), and
adds their pairs to the counts, batch by batch. The progress row is locked for each
batch, so two runs cannot count an order twice. An order whose payment commits more than
the settle time after its payment moment is not counted (it would need a transaction
open that long). An order cancelled after it was counted stays counted:
the shopper did want those things together.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import generations
from orders.models import SALE_STATUSES, Order, OrderLine
from recommendations.models import ProductPair, Progress

BOUGHT_TOGETHER = "bought_together"
# The generation of the cached recommendations (recommendations.selectors): bumped when
# the counts change; catalog changes bump the catalog's own.
GENERATION = "recommendations:gen"
BATCH = 2000
# A basket larger than this counts its first products only (a reseller's bulk order
# would otherwise add thousands of pairs that say little).
MAX_BASKET = 30


def pairs_in(baskets: Iterable[Iterable[int]]) -> Counter:
    """(product, other) -> how many of the baskets held both, both directions."""
    counts: Counter = Counter()
    for basket in baskets:
        products = sorted(set(basket))[:MAX_BASKET]
        for index, product in enumerate(products):
            for other in products[index + 1 :]:
                counts[(product, other)] += 1
                counts[(other, product)] += 1
    return counts


def baskets_of(order_ids: list) -> dict:
    """{order id: the set of its products}."""
    baskets: dict = defaultdict(set)
    lines = OrderLine.objects.filter(order_id__in=order_ids).values_list("order_id", "product_id")
    for order_id, product_id in lines:
        baskets[order_id].add(product_id)
    return baskets


def counted_orders():
    """The orders that say what is bought together: paid, and not given back."""
    return Order.objects.filter(paid_at__isnull=False, status__in=SALE_STATUSES)


def _add(counts: Counter) -> None:
    """Add `counts` to the stored pairs (one read and one upsert per chunk)."""
    items = sorted(counts.items())
    for start in range(0, len(items), BATCH):
        chunk = dict(items[start : start + BATCH])
        products = {product for product, _other in chunk}
        others = {other for _product, other in chunk}
        stored = {
            (product, other): orders
            for product, other, orders in ProductPair.objects.filter(
                product_id__in=products, other_id__in=others
            ).values_list("product_id", "other_id", "orders")
        }
        ProductPair.objects.bulk_create(
            [
                ProductPair(product_id=product, other_id=other, orders=stored.get(key, 0) + added)
                for key, added in chunk.items()
                for product, other in [key]
            ],
            update_conflicts=True,
            unique_fields=["product", "other"],
            update_fields=["orders"],
        )


def bought_together_update(*, settle_seconds: float | None = None) -> int:
    """Count the orders paid since the last run; answers how many were read. Batch by
    batch, each committed with the progress (the last order read: its payment moment and
    id), so that a long backlog moves on even if a later batch fails."""
    settle = settings.RECOMMENDATIONS_SETTLE_SECONDS if settle_seconds is None else settle_seconds
    horizon = timezone.now() - timedelta(seconds=settle)
    Progress.objects.get_or_create(name=BOUGHT_TOGETHER)
    counted = 0
    while True:
        with transaction.atomic():
            progress = Progress.objects.select_for_update().get(name=BOUGHT_TOGETHER)
            orders = counted_orders().filter(paid_at__lte=horizon)
            if progress.paid_until is not None:
                after = Q(paid_at__gt=progress.paid_until)
                if progress.last_order_id is not None:
                    after |= Q(paid_at=progress.paid_until, pk__gt=progress.last_order_id)
                orders = orders.filter(after)
            batch = list(orders.order_by("paid_at", "pk").values_list("pk", "paid_at")[:BATCH])
            if batch:
                counts = pairs_in(baskets_of([pk for pk, _paid in batch]).values())
                if counts:
                    _add(counts)
                    generations.bump([GENERATION])
                progress.last_order_id, progress.paid_until = batch[-1]
                progress.orders_counted += len(batch)
                progress.save()
        counted += len(batch)
        if len(batch) < BATCH:
            return counted


def bought_together_rebuild(*, settle_seconds: float | None = None) -> int:
    """Count every paid order again from nothing (after a data repair)."""
    with transaction.atomic():
        Progress.objects.filter(name=BOUGHT_TOGETHER).delete()
        ProductPair.objects.all().delete()
        counted = bought_together_update(settle_seconds=settle_seconds)
    generations.bump([GENERATION])
    return counted
