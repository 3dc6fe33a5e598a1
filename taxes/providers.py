"""Where tax rates come from. The table (TaxRate rows, edited in the admin) is the
default; a hosted tax service can take its place by naming another class in
TAX_PROVIDER with the same one method."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from taxes.models import UNTAXED_CLASSES, TaxClass
from taxes.selectors import country_rates


class TaxProvider(Protocol):
    def rates(self, *, country: str, region: str, tax_classes: set[str]) -> dict[str, Decimal]:
        """The rate (a percentage) of each of `tax_classes` for an address in `country`
        (an ISO code) and `region` (free text, as the address has it)."""


class TableTaxProvider:
    """Rates from the TaxRate table, a country's read once and cached (taxes.selectors.
    country_rates): the region's own rate if it has one,
    else the country's; a reduced class without a reduced rate pays the standard one;
    zero and exempt classes, and classes the country has no rate for, pay nothing."""

    def rates(self, *, country: str, region: str, tax_classes: set[str]) -> dict[str, Decimal]:
        wanted = set(tax_classes) - set(UNTAXED_CLASSES)
        found: dict[str, Decimal] = {}
        if wanted and country:
            region_key = (region or "").strip().casefold()
            by_class: dict[str, dict[str, Decimal]] = {}
            for region_name, tax_class, rate in country_rates(country):
                by_class.setdefault(tax_class, {})[region_name.casefold()] = rate

            def rate_of(tax_class: str) -> Decimal | None:
                rows = by_class.get(tax_class, {})
                if region_key and region_key in rows:
                    return rows[region_key]
                return rows.get("")

            for tax_class in wanted:
                rate = rate_of(tax_class)
                if rate is None and tax_class == TaxClass.REDUCED:
                    rate = rate_of(TaxClass.STANDARD)
                if rate is not None:
                    found[tax_class] = rate
        return {tax_class: found.get(tax_class, Decimal("0.00")) for tax_class in tax_classes}
