"""`manage.py purge_guest_carts [--days N]`: what the daily beat task does, by hand."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cart.services import carts_purge_guests


class Command(BaseCommand):
    help = "Deletes guest carts untouched for GUEST_CART_DAYS (or --days N) days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Instead of GUEST_CART_DAYS.")

    def handle(self, *args: Any, **options: Any) -> None:
        purged = carts_purge_guests(older_than_days=options["days"])
        self.stdout.write(f"Purged {purged} guest cart{'s' if purged != 1 else ''}.")
