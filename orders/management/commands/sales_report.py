"""`manage.py sales_report`: revenue, orders and units by day, shop, category, product or
variant."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from orders.management.commands._dates import add_period_arguments, check_period
from orders.selectors import sales_report, sales_totals

GROUPINGS = {
    "day": "Day",
    "shop": "Shop",
    "category": "Category",
    "product": "Product",
    "variant": "Variant",
}


class Command(BaseCommand):
    help = (
        "Print a table of sales (paid, processing, shipped and delivered orders; not "
        "cancelled or refunded ones) by day, shop, category, product or variant, with the "
        "period's totals. "
        "An order with lines of several shops or categories counts once in each of their "
        "rows, and once in the total."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser, what="orders")
        parser.add_argument(
            "--group-by",
            choices=list(GROUPINGS),
            default="day",
            help="One row per day (the default), shop or category.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        date_from, date_to = options["date_from"], options["date_to"]
        check_period(date_from, date_to)
        group_by = options["group_by"]
        rows = sales_report(date_from=date_from, date_to=date_to, group_by=group_by)
        totals = sales_totals(date_from=date_from, date_to=date_to)

        period = f"{date_from or 'the first order'} to {date_to or 'today'}"
        self.stdout.write(f"Sales by {group_by}, {period} ({settings.DEFAULT_CURRENCY})")
        header = (GROUPINGS[group_by], "Revenue", "Orders", "Units")
        body = [
            (str(row["label"]), f"{row['revenue']:,.2f}", f"{row['orders']:,}", f"{row['units']:,}")
            for row in rows
        ]
        total = (
            "Total",
            f"{totals['revenue']:,.2f}",
            f"{totals['orders']:,}",
            f"{totals['units']:,}",
        )
        widths = [max(len(line[i]) for line in [header, *body, total]) for i in range(4)]

        def format_line(cells: tuple[str, ...]) -> str:
            label, *numbers = cells
            return "  ".join(
                [
                    label.ljust(widths[0]),
                    *(n.rjust(w) for n, w in zip(numbers, widths[1:], strict=True)),
                ]
            ).rstrip()

        rule = "  ".join("-" * width for width in widths)
        self.stdout.write(format_line(header))
        self.stdout.write(rule)
        if not body:
            self.stdout.write("(no sales in this period)")
        for line in body:
            self.stdout.write(format_line(line))
        self.stdout.write(rule)
        self.stdout.write(self.style.SUCCESS(format_line(total)))
