"""`manage.py export_orders`: orders as CSV, one row per order (or with --lines one row per
order line, by variant), streamed from the database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.csv_export import csv_write
from orders.management.commands._dates import add_period_arguments, check_period
from orders.models import Order, OrderLine, OrderStatus
from orders.selectors import (
    ORDER_EXPORT_COLUMNS,
    ORDER_LINE_EXPORT_COLUMNS,
    order_export_rows,
    order_line_export_rows,
)


class Command(BaseCommand):
    help = (
        "Write orders as CSV, one row per order, oldest first: "
        f"{', '.join(ORDER_EXPORT_COLUMNS)} (items: the number of units ordered; created_at "
        "in ISO 8601, UTC). With --lines, one row per order line instead: "
        f"{', '.join(ORDER_LINE_EXPORT_COLUMNS)}. "
        "Writes to standard output unless --output names a file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser, what="orders")
        parser.add_argument(
            "--status",
            action="append",
            choices=OrderStatus.values,
            metavar="STATUS",
            help=(
                f"Only orders in this status (repeat for several): {', '.join(OrderStatus.values)}."
            ),
        )
        parser.add_argument(
            "--lines",
            action="store_true",
            help="One row per order line (what was sold, by variant and SKU).",
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="Write the CSV to FILE (replaced once complete) instead of standard output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_period(options["date_from"], options["date_to"])
        orders = Order.objects.order_by("created_at", "number")
        if options["date_from"]:
            orders = orders.filter(created_at__date__gte=options["date_from"])
        if options["date_to"]:
            orders = orders.filter(created_at__date__lte=options["date_to"])
        if options["status"]:
            orders = orders.filter(status__in=options["status"])

        self.lines = options["lines"]
        if not options["output"]:
            count = self._write(orders, self.stdout)
            destination = "standard output"
        else:
            path = Path(options["output"])
            partial = path.with_name(f".{path.name}.partial")
            try:
                with partial.open("w", newline="", encoding="utf-8") as stream:
                    count = self._write(orders, stream)
                os.replace(partial, path)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
            destination = str(path)
        if options["verbosity"] >= 1:
            what = "order line(s)" if self.lines else "order(s)"
            self.stderr.write(f"Exported {count} {what} to {destination}.")

    def _write(self, orders, stream) -> int:
        if self.lines:
            lines = OrderLine.objects.filter(order__in=orders.values("pk"))
            return csv_write(stream, ORDER_LINE_EXPORT_COLUMNS, order_line_export_rows(lines))
        return csv_write(stream, ORDER_EXPORT_COLUMNS, order_export_rows(orders))
