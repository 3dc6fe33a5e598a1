"""The active payment provider, chosen by settings.PAYMENT_PROVIDER (dummy or stripe)."""

from django.conf import settings

from payments.providers.base import PaymentProvider


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or settings.PAYMENT_PROVIDER
    if name == "stripe":
        from payments.providers.stripe_provider import StripeProvider

        return StripeProvider()
    if name == "dummy":
        from payments.providers.dummy import DummyProvider

        return DummyProvider()
    raise ValueError(f"Unknown payment provider {name!r}: use dummy or stripe.")
