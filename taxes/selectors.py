"""Reads of the tax configuration."""

from __future__ import annotations

from taxes.models import TaxSettings


def tax_settings() -> TaxSettings:
    """The platform's tax configuration (its one row; the defaults until staff save it)."""
    return TaxSettings.objects.filter(pk=1).first() or TaxSettings(pk=1)
