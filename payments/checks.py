"""Deploy checks (`manage.py check --deploy`) of the payment settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_payment_provider(app_configs=None, **kwargs):
    if settings.PAYMENT_PROVIDER != "dummy":
        return []
    if getattr(settings, "PAYMENTS_ALLOW_DUMMY", False):
        return [
            Warning(
                "PAYMENTS_ALLOW_DUMMY is on: the dummy provider marks orders paid without "
                "taking any money.",
                hint="Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET, "
                "and unset PAYMENTS_ALLOW_DUMMY.",
                id="shop_payments.W001",
            )
        ]
    return [
        Warning(
            "No payment provider is configured: every payment is refused.",
            hint="Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET.",
            id="shop_payments.W002",
        )
    ]
