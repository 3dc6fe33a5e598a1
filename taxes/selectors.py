"""Reads of the tax configuration."""

from __future__ import annotations

from decimal import Decimal

from core import generations
from taxes.caching import TAXES_GENERATION
from taxes.models import TaxRate, TaxSettings

TIMEOUT = 60 * 60


def tax_settings() -> TaxSettings:
    """The platform's tax configuration (its one row; the defaults until staff save it),
    cached while the taxes' generation stands (taxes.caching)."""
    return generations.read_through(
        "taxes:settings",
        lambda: TaxSettings.objects.filter(pk=1).first() or TaxSettings(pk=1),
        generation=TAXES_GENERATION,
        timeout=TIMEOUT,
    )


def country_rates(country: str) -> list[tuple[str, str, Decimal]]:
    """(region, tax class, rate) of every rate of `country` (an ISO code), cached while the
    taxes' generation stands (taxes.caching)."""
    country = country.upper()
    return generations.read_through(
        f"taxes:rates:{country}",
        lambda: list(
            TaxRate.objects.filter(country=country)
            .order_by("region", "tax_class")
            .values_list("region", "tax_class", "rate")
        ),
        generation=TAXES_GENERATION,
        timeout=TIMEOUT,
    )
