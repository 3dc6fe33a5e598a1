"""Tax arithmetic and the tax configuration's writes (see docs/architecture.md, "Taxes").

Tax is computed per line and rounded half-up to the cent on each line; totals add the
rounded lines. With prices including tax, a line's tax is the part of its amount that is
tax (amount * rate / (100 + rate)); otherwise it is added on top (amount * rate / 100).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from taxes import policies
from taxes.eu_vat import EU_VAT_RATES
from taxes.exceptions import TaxPermissionDenied
from taxes.models import TaxClass, TaxRate, TaxSettings
from taxes.providers import TaxProvider

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def round_half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_split(amount: Decimal, weights: dict, *, whole: Decimal) -> dict:
    """`amount` shared out in proportion to `weights` (parts of `whole`) to the cent, the
    shares adding up to exactly amount x sum(weights) / whole: each share rounded down,
    the cents left going to the largest remainders (ties: the larger weight, then the
    smaller key). The refunds of a seller statement are split this way."""
    exact = {key: amount * weight / whole for key, weight in weights.items()}
    shares = {key: value.quantize(CENT, rounding=ROUND_DOWN) for key, value in exact.items()}
    target = round_half_up(sum(exact.values(), Decimal("0")))
    left = int((target - sum(shares.values(), Decimal("0"))) / CENT)
    order = sorted(exact, key=lambda key: (-(exact[key] - shares[key]), -weights[key], key))
    for key in order[: max(left, 0)]:
        shares[key] += CENT
    return shares


def tax_amount(*, amount: Decimal, rate: Decimal, prices_include_tax: bool) -> Decimal:
    """The tax of one line (or one shipping charge) of `amount` at `rate` percent."""
    if not rate:
        return Decimal("0.00")
    if prices_include_tax:
        return round_half_up(amount * rate / (HUNDRED + rate))
    return round_half_up(amount * rate / HUNDRED)


def tax_provider() -> TaxProvider:
    """The provider named by TAX_PROVIDER (the table by default)."""
    path = getattr(settings, "TAX_PROVIDER", "taxes.providers.TableTaxProvider")
    return import_string(path)()


def tax_rates_for(*, country: str, region: str, tax_classes: set[str]) -> dict[str, Decimal]:
    return tax_provider().rates(country=country, region=region, tax_classes=tax_classes)


@transaction.atomic
def tax_settings_update(
    *, prices_include_tax: bool, shipping_tax_class: str, by=None
) -> TaxSettings:
    if by is not None and not policies.may_change_taxes(by):
        raise TaxPermissionDenied()
    config, _created = TaxSettings.objects.update_or_create(
        pk=1,
        defaults={
            "prices_include_tax": prices_include_tax,
            "shipping_tax_class": shipping_tax_class,
        },
    )
    return config


@transaction.atomic
def tax_rate_save(*, rate: TaxRate | None, data: dict, by=None) -> TaxRate:
    """Add a rate (`rate` None) or change one; the model's checks apply (a percentage,
    one rate per country, region and class)."""
    if by is not None and not policies.may_change_taxes(by):
        raise TaxPermissionDenied()
    rate = rate or TaxRate()
    for field, value in data.items():
        setattr(rate, field, value)
    rate.region = (rate.region or "").strip()
    rate.full_clean()
    rate.save()
    return rate


@transaction.atomic
def tax_rate_delete(*, rate: TaxRate, by=None) -> None:
    if by is not None and not policies.may_change_taxes(by):
        raise TaxPermissionDenied()
    rate.delete()


@transaction.atomic
def tax_rates_load_eu(*, by=None) -> int:
    """Write the EU member states' standard and reduced rates (taxes.eu_vat), replacing
    those countries' whole-country rates; answers how many rates were written."""
    if by is not None and not policies.may_change_taxes(by):
        raise TaxPermissionDenied()
    written = 0
    for country, (standard, reduced) in EU_VAT_RATES.items():
        for tax_class, rate in ((TaxClass.STANDARD, standard), (TaxClass.REDUCED, reduced)):
            if rate is None:
                TaxRate.objects.filter(country=country, region="", tax_class=tax_class).delete()
                continue
            TaxRate.objects.update_or_create(
                country=country,
                region="",
                tax_class=tax_class,
                defaults={"rate": rate, "name": "VAT"},
            )
            written += 1
    return written
