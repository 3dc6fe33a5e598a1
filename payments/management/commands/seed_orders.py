"""`manage.py seed_orders`: a history of demo orders for the demo catalog (benchmarks,
dashboards, the sales report).

It lives in the payments app because a paid order comes with its payment, and payments
sit above orders (docs/architecture.md). Orders, their lines, status histories, payments and
refunds are written with bulk inserts: the checkout and payment services would take an
hour for 20,000 orders, and they cannot date an order in the past.

Each order follows a timeline drawn from its own seed: placed, paid minutes later,
processing within hours, shipped a day or two later, delivered days after that; its
status is the last step already reached today. A few are cancelled before payment (the
reservation ran out) and a few delivered ones are refunded in full. Stock is not
changed: these sales happened before the catalog's current stock was counted.

Demo orders are numbered DEMO-0000001...; running again adds only the missing ones.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User
from catalog.management.commands.seed_demo import DEMO_EMAIL_DOMAIN, SKU_PREFIX
from catalog.models import ProductVariant
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus

S = OrderStatus
NUMBER_PREFIX = "DEMO-"
SEED = 20240612
BATCH_SIZE = 1000
DEFAULT_DAYS = 90
PROVIDER = "dummy"
MAX_LINES = 4
CITIES = [
    ("Lisbon", "PT", "1100-148"),
    ("Oslo", "NO", "0150"),
    ("Dublin", "IE", "D02 X285"),
    ("Lyon", "FR", "69002"),
    ("Utrecht", "NL", "3511 LX"),
    ("Bremen", "DE", "28195"),
    ("Turin", "IT", "10121"),
    ("Seville", "ES", "41004"),
]
STREETS = ["Harbour Road", "Mill Lane", "Station Street", "Park Avenue", "Church Way"]


def order_number(index: int) -> str:
    return f"{NUMBER_PREFIX}{index + 1:07d}"


class Command(BaseCommand):
    help = (
        "Give the demo customers (seed_demo) a history of orders over the last days, with "
        "lines of demo products, status histories, payments and refunds, written in bulk. "
        "Idempotent: running it again adds only the missing orders."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--orders",
            type=int,
            default=1000,
            metavar="N",
            help="How many demo orders there should be (default 1000; 20000 for the benchmark).",
        )
        parser.add_argument(
            "--patterns",
            action="store_true",
            help=(
                "Baskets with shopping patterns, for the recommendations' evaluation: each "
                "order starts from a product (popular ones more often) and mostly adds "
                "companions from its kit, a few products of the same top category that are "
                "bought together; now and then something unrelated."
            ),
        )
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            metavar="D",
            help=f"Spread the orders over the last D days (default {DEFAULT_DAYS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted, days = options["orders"], options["days"]
        if wanted < 0:
            raise CommandError("--orders must be 0 or more.")
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        customers = list(
            User.objects.filter(
                email__startswith="customer", email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
            )
            .order_by("id")
            .values_list("id", "first_name", "last_name")
        )
        products = list(
            ProductVariant.objects.filter(
                sku__startswith=SKU_PREFIX,
                is_active=True,
                deleted_at=None,
                product__is_active=True,
                product__deleted_at=None,
            )
            .order_by("id")
            .values_list(
                "id",
                "product_id",
                "product__name",
                "options_text",
                "sku",
                "price",
                "shop_id",
                "shop__name",
            )
        )
        kits = _kits(products) if options["patterns"] else None
        if wanted and not (customers and products):
            raise CommandError("No demo customers or products: run seed_demo first.")
        existing = set(
            Order.objects.filter(number__startswith=NUMBER_PREFIX).values_list("number", flat=True)
        )
        seeder = OrderSeeder(
            customers=customers, products=products, days=days, now=timezone.now(), kits=kits
        )
        created = 0
        with transaction.atomic(), _dates_as_given():
            batch: list[int] = []
            for index in range(wanted):
                if order_number(index) not in existing:
                    batch.append(index)
                if len(batch) >= BATCH_SIZE:
                    created += seeder.save(batch)
                    batch = []
            created += seeder.save(batch)
        if created and connection.vendor == "postgresql":
            # Bulk inserts leave the planner's statistics behind (autovacuum analyses
            # later, never when it is off): without them a page of orders' lines and
            # history is read by scanning the whole tables instead of their indexes.
            with connection.cursor() as cursor:
                for model in (Order, OrderLine, OrderStatusChange, Payment, Refund):
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        total = Order.objects.filter(number__startswith=NUMBER_PREFIX).count()
        self.stdout.write(self.style.SUCCESS(f"Demo orders: {total:,} ({created:,} new)."))


@contextmanager
def _dates_as_given() -> Iterator[None]:
    """Let bulk inserts keep the past dates given to the rows: fields with auto_now or
    auto_now_add would overwrite them with the present."""
    fields = [
        field
        for model in (Order, OrderStatusChange, Payment, Refund)
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


KIT_SIZE = 4


def _kits(variants: list[tuple]) -> dict[int, Any]:
    """Shopping patterns over the demo catalog: the products of each top category, in a
    seeded order, cut into kits of KIT_SIZE (a lamp, its bulb, its shade...). Answers
    {"variants": product -> its variant rows, "kit": product -> its kit, "products": the
    products in a fixed order, "weights": how popular each is (Zipf-like)}."""
    from catalog.models import Category, Product

    by_product: dict[int, list[tuple]] = {}
    for row in variants:
        by_product.setdefault(row[1], []).append(row)
    parents = dict(Category.objects.values_list("pk", "parent_id"))

    def top(category_id):
        seen = set()
        while category_id is not None and parents.get(category_id) and category_id not in seen:
            seen.add(category_id)
            category_id = parents[category_id]
        return category_id

    groups: dict[Any, list[int]] = {}
    for product_id, category_id in (
        Product.objects.filter(pk__in=by_product).order_by("pk").values_list("pk", "category_id")
    ):
        groups.setdefault(top(category_id), []).append(product_id)
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    kit_of: dict[int, list[int]] = {}
    for _top, members in sorted(groups.items(), key=lambda item: str(item[0])):
        rng.shuffle(members)
        for start in range(0, len(members), KIT_SIZE):
            kit = members[start : start + KIT_SIZE]
            for product_id in kit:
                kit_of[product_id] = kit
    order = sorted(by_product)
    rng.shuffle(order)
    return {
        "variants": by_product,
        "kit": kit_of,
        "products": order,
        "weights": [1 / (rank + 1) ** 0.7 for rank in range(len(order))],
    }


def _patterned_basket(rng: random.Random, kits: dict[str, Any]) -> list[tuple]:
    """One order's variant rows: an anchor product, mostly companions from its kit, now
    and then an unrelated product."""
    anchor = rng.choices(kits["products"], weights=kits["weights"])[0]
    basket = [anchor]
    companions = [product for product in kits["kit"].get(anchor, []) if product != anchor]
    if companions and rng.random() < 0.85:
        basket += rng.sample(companions, rng.randint(1, min(2, len(companions))))
    if rng.random() < 0.25:
        other = rng.choice(kits["products"])
        if other not in basket:
            basket.append(other)
    return [rng.choice(kits["variants"][product]) for product in basket]


class OrderSeeder:
    def __init__(self, *, customers, products, days: int, now: datetime, kits=None) -> None:
        self.customers = customers
        self.products = products
        self.days = days
        self.now = now
        self.kits = kits

    def save(self, indexes: list[int]) -> int:
        if not indexes:
            return 0
        orders, lines, changes, payments, refunds = [], [], [], [], []
        for index in indexes:
            order, order_lines, history, payment, refund = self._order(index)
            orders.append(order)
            lines += order_lines
            changes += history
            payments += [payment] if payment else []
            refunds += [refund] if refund else []
        Order.objects.bulk_create(orders)
        OrderLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
        OrderStatusChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        Payment.objects.bulk_create(payments, batch_size=BATCH_SIZE)
        Refund.objects.bulk_create(refunds, batch_size=BATCH_SIZE)
        return len(orders)

    def _order(self, index: int):
        rng = random.Random(SEED * 1_000_003 + index)  # noqa: S311 (demo data, not secrets)
        user_id, first, last = rng.choice(self.customers)
        # More orders lately than long ago, as a growing shop has.
        placed = self.now - timedelta(days=self.days * rng.random() ** 1.3)
        city, country, postal_code = rng.choice(CITIES)
        address = {
            "full_name": f"{first} {last}".strip() or "Demo Customer",
            "line1": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
            "line2": "",
            "city": city,
            "region": "",
            "postal_code": postal_code,
            "country": country,
            "phone": "",
        }
        order = Order(
            number=order_number(index),
            user_id=user_id,
            currency=settings.DEFAULT_CURRENCY,
            shipping_address=address,
            created_at=placed,
        )
        lines = []
        subtotal = Decimal("0.00")
        if self.kits is not None:
            chosen = _patterned_basket(rng, self.kits)
        else:
            chosen = rng.sample(self.products, min(len(self.products), rng.randint(1, MAX_LINES)))
        for variant_id, product_id, name, options, sku, price, shop_id, shop_name in chosen:
            quantity = 1 if rng.random() < 0.7 else rng.randint(2, 3)
            line_total = price * quantity
            subtotal += line_total
            lines.append(
                OrderLine(
                    order=order,
                    product_id=product_id,
                    variant_id=variant_id,
                    shop_id=shop_id,
                    product_name=name,
                    variant_options=options,
                    sku=sku,
                    shop_name=shop_name,
                    unit_price=price,
                    quantity=quantity,
                    line_total=line_total,
                )
            )
        order.subtotal = order.total = subtotal
        order.shipping_total = Decimal("0.00")

        steps = self._timeline(rng, placed)
        history, previous = [], ""
        for status, at, note in steps:
            history.append(
                OrderStatusChange(
                    order=order,
                    from_status=previous,
                    to_status=status,
                    at=at,
                    by_id=user_id if status == S.PENDING else None,
                    note=note,
                )
            )
            previous = status
        reached = {status: at for status, at, _note in steps}
        order.status = previous
        order.paid_at = reached.get(S.PAID)
        order.cancelled_at = reached.get(S.CANCELLED)
        order.updated_at = steps[-1][1]
        order.reserved_until = None  # paid, or cancelled when the reservation ran out

        payment = refund = None
        if order.paid_at:
            payment = Payment(
                order=order,
                user_id=user_id,
                provider=PROVIDER,
                provider_payment_id=f"pi_demo_{order.number}",
                status=PaymentStatus.SUCCEEDED,
                amount=order.total,
                currency=order.currency,
                idempotency_key=f"demo-payment-{order.number}",
                payment_method="pm_card_visa",
                succeeded_at=order.paid_at,
                created_at=order.paid_at - timedelta(seconds=20),
                updated_at=order.paid_at,
            )
        if S.REFUNDED in reached:
            order.refunded_total = payment.refunded_amount = order.total
            payment.updated_at = reached[S.REFUNDED]
            refund = Refund(
                payment=payment,
                amount=order.total,
                currency=order.currency,
                status=RefundStatus.SUCCEEDED,
                reason=RefundReason.REQUESTED_BY_CUSTOMER,
                provider_refund_id=f"re_demo_{order.number}",
                created_at=reached[S.REFUNDED],
                updated_at=reached[S.REFUNDED],
            )
        return order, lines, history, payment, refund

    def _timeline(self, rng: random.Random, placed: datetime) -> list[tuple[str, datetime, str]]:
        """The steps this order has gone through by now: (status, when, note)."""
        steps = [(S.PENDING, placed, "")]
        if rng.random() < 0.05:  # never paid: the reservation ran out
            expired = placed + timedelta(minutes=30)
            if expired <= self.now:
                steps.append((S.CANCELLED, expired, "Reservation expired."))
            else:  # not expired yet: it would still hold stock, so it is paid after all
                steps.append((S.PAID, placed + timedelta(seconds=1), "Paid by card."))
            return steps
        plan = [
            (S.PAID, timedelta(minutes=rng.uniform(0.5, 10)), "Paid by card."),
            (S.PROCESSING, timedelta(hours=rng.uniform(1, 20)), ""),
            (S.SHIPPED, timedelta(days=rng.uniform(0.5, 2)), ""),
            (S.DELIVERED, timedelta(days=rng.uniform(1, 5)), ""),
        ]
        if rng.random() < 0.04:
            plan.append((S.REFUNDED, timedelta(days=rng.uniform(2, 14)), "Returned."))
        at = placed
        for status, delay, note in plan:
            at += delay
            if at > self.now and status != S.PAID:
                break
            steps.append((status, min(at, self.now), note))
        return steps
