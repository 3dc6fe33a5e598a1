"""The payment providers: the card provider chosen by settings.PAYMENT_PROVIDER (dummy or
stripe), and PayPal beside it when its keys are set (`configured_providers`).

The dummy provider takes no money: it is for development and tests, and serves only when
PAYMENTS_ALLOW_DUMMY is set (the quickstart and the test suite set it). Anywhere else a
payment through it is refused, so that a production site missing its Stripe keys cannot
give goods away (`check --deploy` warns too: payments.checks).
"""

from django.conf import settings
from django.utils.translation import gettext as _

from payments.exceptions import PaymentsNotConfigured
from payments.providers.base import PaymentProvider


def provider_name() -> str:
    """The name of the provider new payments go through."""
    return settings.PAYMENT_PROVIDER


def configured_providers() -> list[str]:
    """What a shopper may choose from, the card provider first."""
    from payments.providers.paypal import configured as paypal_configured

    return [provider_name(), *(["paypal"] if paypal_configured() else [])]


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or provider_name()
    if name == "paypal":
        from payments.providers.paypal import PayPalProvider, configured

        if not configured():
            raise PaymentsNotConfigured(_("PayPal is not set up on this shop."))
        return PayPalProvider()
    if name == "stripe":
        from payments.providers.stripe_provider import StripeProvider

        return StripeProvider()
    if name == "dummy":
        if not getattr(settings, "PAYMENTS_ALLOW_DUMMY", False):
            raise PaymentsNotConfigured()
        from payments.providers.dummy import DummyProvider

        return DummyProvider()
    raise ValueError(f"Unknown payment provider {name!r}: use dummy, stripe or paypal.")
