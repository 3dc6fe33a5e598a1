"""`manage.py import_products FILE.csv --shop SLUG`: a shop's products from a CSV file.

Every row is checked before anything is written, and every problem is reported with its
line number; a file with a single bad row writes nothing at all. A good file is written
in one transaction by catalog.services.products_import.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.exceptions import ProductImportConflict, ProductImportFileInvalid, ProductImportInvalid
from catalog.services import (
    IMPORT_COLUMNS,
    IMPORT_TAG_SEPARATOR,
    product_import_rows_read,
    products_import,
)
from catalog.services.imports_shopify import is_shopify_export, shopify_import, shopify_rows_read
from core.progress import progress_bar
from shops.models import Shop


class Command(BaseCommand):
    help = (
        "Import products into a shop from a CSV file (UTF-8, comma-separated, first line "
        f"naming the columns: {', '.join(IMPORT_COLUMNS)}). name, price, stock_quantity and "
        "sku are required; category is a category's slug or name; tags are separated by "
        f"'{IMPORT_TAG_SEPARATOR}'; is_active is true or false (empty: true). Every row is "
        "checked first and each problem printed with its line number: if any row is bad, "
        "nothing is written and the command fails. Otherwise all rows are written in one "
        "transaction. Shopify's product CSV export (first column Handle; one row per "
        "variant) is read too: its options and variants become ours, other columns are "
        "ignored with a warning."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv", help="The CSV file to import.")
        parser.add_argument(
            "--shop", required=True, metavar="SLUG", help="The slug of the shop the products join."
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help=(
                "Change the shop's products whose SKU is in the file (the columns the file "
                "has; tags are replaced) instead of refusing those rows; new SKUs are created."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and print what would change; write nothing.",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="Do not draw the progress bar (it is drawn only when stderr is a terminal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        path = Path(options["file"])
        shop = Shop.objects.filter(slug=options["shop"]).first()
        if shop is None:
            raise CommandError(f"No shop has the slug “{options['shop']}”.")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        shopify = is_shopify_export(content)
        try:
            if shopify:
                shopify_file = shopify_rows_read(content=content)
                rows = shopify_file.rows
            else:
                rows = product_import_rows_read(content=content)
        except ProductImportFileInvalid as exc:
            raise CommandError(f"{path}: {exc.detail}") from exc

        stream = getattr(self.stderr, "_out", sys.stderr)
        progress = progress_bar(
            desc="Products",
            unit="row",
            total=len(rows),
            file=stream,
            disable=options["dry_run"] or options["no_progress"] or not stream.isatty(),
        )
        try:
            if shopify:
                result = shopify_import(
                    shop=shop,
                    file=shopify_file,
                    update=options["update"],
                    dry_run=options["dry_run"],
                    progress=progress.update,
                )
            else:
                result = products_import(
                    shop=shop,
                    rows=rows,
                    update=options["update"],
                    dry_run=options["dry_run"],
                    progress=progress.update,
                )
        except ProductImportInvalid as exc:
            progress.close()
            for error in exc.errors:
                self.stderr.write(str(error))
            bad_lines = len({error.line for error in exc.errors})
            raise CommandError(
                f"{bad_lines} of {len(rows)} row(s) in {path} are not valid: nothing was "
                "imported. Correct them and run the command again."
            ) from exc
        except ProductImportConflict as exc:
            raise CommandError(exc.detail) from exc
        finally:
            progress.close()
            for warning in shopify_file.warnings if shopify else ():
                self.stderr.write(f"{path}: {warning}")

        seconds = time.monotonic() - started
        if result.dry_run:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Dry run: all {result.rows} row(s) of {path} are valid for {shop.name}: "
                    f"{result.created} product(s) would be created, {result.updated} updated "
                    f"({result.unchanged} unchanged), {result.tags_created} new tag(s). "
                    "Nothing was written."
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.rows} row(s) of {path} into {shop.name} in {seconds:.1f} s: "
                f"{result.created} product(s) created, {result.updated} updated "
                f"({result.unchanged} unchanged), {result.tags_created} new tag(s)."
            )
        )
