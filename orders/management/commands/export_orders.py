"""`manage.py export_orders`: orders as CSV, one row per order, streamed from the database."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.management.commands._dates import add_period_arguments, check_period
from orders.models import OrderStatus
from orders.selectors import order_list_with_item_count

COLUMNS = (
    "number",
    "created_at",
    "status",
    "user_email",
    "subtotal",
    "shipping_total",
    "total",
    "refunded_total",
    "currency",
    "items",
)
CHUNK_SIZE = 2000


class Command(BaseCommand):
    help = (
        "Write orders as CSV, one row per order, oldest first: "
        f"{', '.join(COLUMNS)} (items: the number of units ordered; created_at in ISO 8601, "
        "UTC). Writes to standard output unless --output names a file."
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
            "--output",
            metavar="FILE",
            help="Write the CSV to FILE (replaced once complete) instead of standard output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_period(options["date_from"], options["date_to"])
        orders = order_list_with_item_count().order_by("created_at", "number")
        if options["date_from"]:
            orders = orders.filter(created_at__date__gte=options["date_from"])
        if options["date_to"]:
            orders = orders.filter(created_at__date__lte=options["date_to"])
        if options["status"]:
            orders = orders.filter(status__in=options["status"])

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
            self.stderr.write(f"Exported {count} order(s) to {destination}.")

    def _write(self, orders, stream) -> int:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        count = 0
        for order in orders.iterator(chunk_size=CHUNK_SIZE):
            writer.writerow(
                [
                    order.number,
                    order.created_at.isoformat(),
                    order.status,
                    order.user.email,
                    order.subtotal,
                    order.shipping_total,
                    order.total,
                    order.refunded_total,
                    order.currency,
                    order.item_count,
                ]
            )
            count += 1
        return count
