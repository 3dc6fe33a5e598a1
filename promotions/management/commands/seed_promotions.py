"""Demo promotions for the quickstart: a welcome code and a running sale (idempotent)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from catalog.models import Category
from promotions.models import Promotion, Voucher
from promotions.services import promotion_create, promotion_update

WELCOME_CODE = "WELCOME10"
SALE_NAME = "Demo week sale"
SALE_DAYS = 7


class Command(BaseCommand):
    help = (
        "Makes the demo promotions: the platform code WELCOME10 (10% off a first order) "
        "and a 15% sale on the first top category for a week (moved on when it ended)."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not Voucher.objects.filter(code=WELCOME_CODE).exists():
            promotion_create(
                shop=None,
                data={
                    "name": "Welcome: 10% off your first order",
                    "reward": "percentage",
                    "value": "10",
                    "first_order_only": True,
                    "once_per_customer": True,
                    "code": WELCOME_CODE,
                },
                by=None,
            )
        now = timezone.now()
        window = {"starts_at": now, "ends_at": now + timedelta(days=SALE_DAYS)}
        sale = Promotion.objects.filter(kind=Promotion.Kind.SALE, name=SALE_NAME).first()
        category = Category.objects.filter(parent__isnull=True).order_by("position", "id").first()
        if sale is None and category is not None:
            sale = promotion_create(
                shop=None,
                data={
                    "name": SALE_NAME,
                    "kind": "sale",
                    "reward": "percentage",
                    "value": "15",
                    "categories": [category],
                    **window,
                },
                by=None,
            )
        elif sale is not None and sale.ends_at <= now:
            promotion_update(promotion=sale, data=window, by=None)
        self.stdout.write(f"Try the discount code {WELCOME_CODE} on your first order.")
        if sale is not None:
            names = ", ".join(c.name for c in sale.categories.all())
            self.stdout.write(f"{sale.name}: 15% off {names} until {sale.ends_at:%d %b %Y}.")
