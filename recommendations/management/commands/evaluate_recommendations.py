"""`manage.py evaluate_recommendations`: hit rate at 10 and coverage of "frequently
bought together" against the popularity baseline, on the newest paid orders held out
(recommendations.evaluation)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.evaluation import K, evaluate, paid_baskets


class Command(BaseCommand):
    help = (
        "Hold out the newest paid orders and report how often 'frequently bought together' "
        "(learnt from the older ones) would have shown something the shopper bought with "
        "it, beside a baseline of the most bought products."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--holdout", type=float, default=0.1, help="Share of newest orders held out (0.1)."
        )
        parser.add_argument(
            "--min-support",
            type=int,
            default=None,
            help="Orders a pair needs (default RECOMMENDATIONS_MIN_SUPPORT).",
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        holdout = options["holdout"]
        if not 0 < holdout < 1:
            raise CommandError("--holdout must be between 0 and 1.")
        min_support = options["min_support"] or settings.RECOMMENDATIONS_MIN_SUPPORT
        if min_support < 1:
            raise CommandError("--min-support must be 1 or more.")
        baskets = paid_baskets()
        if len(baskets) < 10:
            raise CommandError("Fewer than 10 paid orders: run seed_orders --patterns first.")
        result = evaluate(baskets, holdout=holdout, min_support=min_support)
        figures = {
            "orders": result.orders,
            "train_orders": result.train_orders,
            "test_orders": result.test_orders,
            "asks": result.asks,
            f"hit_rate_at_{K}_bought_together": round(result.rate(result.hits_together), 4),
            f"hit_rate_at_{K}_bought_together_filled": round(
                result.rate(result.hits_together_filled), 4
            ),
            f"hit_rate_at_{K}_popular": round(result.rate(result.hits_popular), 4),
            "coverage": round(result.coverage, 4),
            "catalog_coverage": round(result.catalog_coverage, 4),
            "min_support": min_support,
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        self.stdout.write(
            f"{result.orders:,} paid orders: learnt from {result.train_orders:,}, "
            f"tested on the newest {result.test_orders:,} ({result.asks:,} asks, one per "
            f"product of an order with two or more; min support {min_support})."
        )
        self.stdout.write(f"{'':32} hit rate@{K}")
        rows = [
            ("bought together", result.hits_together),
            ("bought together, popular fill", result.hits_together_filled),
            ("most bought (baseline)", result.hits_popular),
        ]
        for name, hits in rows:
            self.stdout.write(f"{name:32} {result.rate(hits):8.1%}")
        self.stdout.write(
            f"coverage: {result.coverage:.1%} of the asks had a 'bought together' answer; "
            f"{result.products_with_partners:,} of {result.products_sold:,} products sold "
            f"({result.catalog_coverage:.1%}) have partners."
        )
