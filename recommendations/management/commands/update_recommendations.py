"""`manage.py update_recommendations`: count the orders paid since the last run into
"frequently bought together" now (what the beat task does every 15 minutes), or
`--rebuild` from nothing."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recommendations.services import bought_together_rebuild, bought_together_update


class Command(BaseCommand):
    help = "Count the newly paid orders into 'frequently bought together' (--rebuild: all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Count every order again.")
        parser.add_argument(
            "--settle",
            type=float,
            default=None,
            help="Leave the orders paid in the last S seconds (RECOMMENDATIONS_SETTLE_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            counted = bought_together_rebuild(settle_seconds=options["settle"])
        else:
            counted = bought_together_update(settle_seconds=options["settle"])
        self.stdout.write(self.style.SUCCESS(f"Counted {counted:,} paid orders."))
