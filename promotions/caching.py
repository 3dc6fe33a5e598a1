"""The promotions' generation (core.generations): caches whose answers hold what a
discount code gives (the signed-in cart, cart.caching) are keyed by it. Bumped when a
promotion, its targets or a code is saved or deleted (the signals connected in
promotions.apps), and when a use is taken or given back (redemptions_record and
redemptions_release write the counts with `QuerySet.update`)."""

from __future__ import annotations

from core import generations

PROMOTIONS_GENERATION = "promotions:gen"


def promotions_changed(**_signal) -> None:
    generations.bump([PROMOTIONS_GENERATION])


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from promotions.models import Promotion, Voucher

    for model in (Promotion, Voucher):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                promotions_changed,
                sender=model,
                dispatch_uid=f"promotions_gen_{model.__name__}_{name}",
            )
    for field in ("categories", "products", "variants", "shops"):
        m2m_changed.connect(
            promotions_changed,
            sender=getattr(Promotion, field).through,
            dispatch_uid=f"promotions_gen_targets_{field}",
        )
