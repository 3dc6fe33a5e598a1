"""The platform's tax configuration: whether prices include tax, the tax classes, and
the rates per country (and region where it matters). See docs/architecture.md, "Taxes"."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class TaxClass(models.TextChoices):
    STANDARD = "standard", _("Standard rate")
    REDUCED = "reduced", _("Reduced rate")
    ZERO = "zero", _("Zero rate")
    EXEMPT = "exempt", _("Exempt")


# Classes that never carry tax, whatever the country.
UNTAXED_CLASSES = (TaxClass.ZERO, TaxClass.EXEMPT)


class TaxSettings(models.Model):
    """The one row of the platform's tax configuration (taxes.selectors.tax_settings)."""

    prices_include_tax = models.BooleanField(
        default=False,
        help_text=_(
            "On: catalog and shipping prices are entered with tax in them (EU style); the "
            "tax is the part of the price that is tax. Off: tax is added on top (US style)."
        ),
    )
    shipping_tax_class = models.CharField(
        max_length=10, choices=TaxClass.choices, default=TaxClass.STANDARD
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("tax settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="taxes_settings_one_row")]

    def __str__(self) -> str:
        return str(_("Prices include tax") if self.prices_include_tax else _("Tax added to prices"))


class TaxRate(models.Model):
    """A rate (a percentage) of one tax class in a country, or in one region of it.
    A class without a rate for the address is not taxed there (the zero default); a
    reduced class without a reduced rate pays the standard one."""

    country = CountryField()
    region = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Empty: the whole country (unless a region has its own)."),
    )
    tax_class = models.CharField(
        max_length=10,
        choices=[(c.value, c.label) for c in (TaxClass.STANDARD, TaxClass.REDUCED)],
        default=TaxClass.STANDARD,
    )
    rate = models.DecimalField(
        max_digits=5, decimal_places=2, help_text=_("A percentage: 21.00 means 21%.")
    )
    name = models.CharField(max_length=40, default="VAT", help_text=_("What invoices call it."))

    class Meta:
        ordering = ["country", "region", "tax_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "region", "tax_class"], name="taxes_rate_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxes_rate_percentage"
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.country.code}-{self.region}" if self.region else self.country.code
        return f"{where} {self.tax_class} {self.rate}%"
