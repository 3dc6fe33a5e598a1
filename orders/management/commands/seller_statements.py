"""`manage.py seller_statements`: each shop's gross sales, refunds, tax, commission and
what it is owed over a period, as CSV (orders.selectors.seller_statements)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.csv_export import csv_write
from orders.management.commands._dates import add_period_arguments, check_period
from orders.selectors import STATEMENT_COLUMNS, seller_statements


def statement_rows(statements: list[dict[str, Any]]):
    currency = settings.DEFAULT_CURRENCY
    for row in statements:
        yield [row[column] for column in STATEMENT_COLUMNS[:-1]] + [currency]


class Command(BaseCommand):
    help = (
        "Write each shop's statement for a period as CSV: orders, gross sales (lines and "
        "shipping, with the tax added to them), refunds, tax collected, the commission "
        "(PLATFORM_COMMISSION_RATE or the shop's own rate, on sales net of tax and refunds) "
        "and the net owed to the shop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser, what="orders")
        parser.add_argument(
            "--shop", type=int, action="append", help="Only this shop (repeatable)."
        )
        parser.add_argument("--output", help="Write to this file instead of the standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        check_period(options["date_from"], options["date_to"])
        statements = seller_statements(
            date_from=options["date_from"], date_to=options["date_to"], shop_ids=options["shop"]
        )
        if options["output"]:
            try:
                with open(options["output"], "w", newline="", encoding="utf-8") as stream:
                    count = csv_write(stream, STATEMENT_COLUMNS, statement_rows(statements))
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc.strerror}") from exc
            self.stderr.write(f"Wrote {count} statements to {options['output']}.")
            return
        csv_write(self.stdout, STATEMENT_COLUMNS, statement_rows(statements))
