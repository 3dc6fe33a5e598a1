"""Date options shared by the orders app's commands."""

from __future__ import annotations

import argparse
from datetime import date

from django.core.management.base import CommandError


def iso_date(value: str) -> date:
    """An argparse type: a calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: write YYYY-MM-DD.") from exc


def add_period_arguments(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "--from",
        dest="date_from",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help=f"Only {what} placed on or after this day (UTC).",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help=f"Only {what} placed on or before this day (UTC).",
    )


def check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise CommandError(f"--from {date_from} is after --to {date_to}.")
