"""The taxes' generation (core.generations): caches whose answers hold tax figures (the
signed-in cart's estimate, cart.caching) are keyed by it. Bumped whenever a rate or the
tax settings are saved or deleted (the signals connected in taxes.apps), however written."""

from __future__ import annotations

from core import generations

TAXES_GENERATION = "taxes:gen"


def taxes_changed(**_signal) -> None:
    generations.bump([TAXES_GENERATION])


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from taxes.models import TaxRate, TaxSettings

    for model in (TaxRate, TaxSettings):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                taxes_changed, sender=model, dispatch_uid=f"taxes_gen_{model.__name__}_{name}"
            )
