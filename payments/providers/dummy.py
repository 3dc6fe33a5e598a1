"""An offline provider that behaves like Stripe's test mode, for the quickstart and tests.

Test payment methods: `pm_card_visa` (and `pm_card_mastercard`, `pm_card_amex`) succeed;
`pm_card_chargeDeclined` is declined (`generic_decline`); `pm_card_insufficientFunds`
is declined (`insufficient_funds`). Anything else is an unknown payment method.
"""

from __future__ import annotations

import secrets

from django.utils.translation import gettext as _

from payments.providers.base import (
    Card,
    CardDeclined,
    Intent,
    InvalidSignature,
    ProviderEvent,
    ProviderRefund,
)

SUCCEEDING = {
    "pm_card_visa": ("visa", "4242"),
    "pm_card_mastercard": ("mastercard", "4444"),
    "pm_card_amex": ("amex", "8431"),
}
DECLINING = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_insufficientFunds": "insufficient_funds",
}


class DummyProvider:
    name = "dummy"
    needs_payment_method = True

    def create_intent(
        self, *, amount, currency, idempotency_key, customer_id, metadata, **_urls
    ) -> Intent:
        intent_id = f"pi_dummy_{secrets.token_hex(8)}"
        return Intent(
            id=intent_id,
            status="requires_payment_method",
            client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
        )

    def confirm_intent(self, *, intent_id, payment_method, save_for_customer, **_url) -> Intent:
        # A saved card is the test token plus a suffix of its own ("pm_card_visa__1a2b"),
        # so that every person's saved card has its own id, as at Stripe.
        token = payment_method.split("__", 1)[0]
        if token in DECLINING:
            raise CardDeclined(_("Your card was declined."), decline_code=DECLINING[token])
        if token not in SUCCEEDING:
            raise CardDeclined(
                _("Unknown test payment method: use pm_card_visa or pm_card_chargeDeclined."),
                code="invalid_payment_method",
            )
        brand, last4 = SUCCEEDING[token]
        if save_for_customer and payment_method == token:
            payment_method = f"{token}__{secrets.token_hex(6)}"
        return Intent(
            id=intent_id,
            status="succeeded",
            payment_method=payment_method,
            card={"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
        )

    def cancel_intent(self, *, intent_id) -> Intent:
        return Intent(id=intent_id, status="canceled")

    def refund(self, *, intent_id, amount, reason, idempotency_key, **_charge) -> ProviderRefund:
        return ProviderRefund(id=f"re_dummy_{secrets.token_hex(8)}", status="succeeded")

    def create_customer(self, *, email, user_id) -> str:
        return f"cus_dummy_{user_id}"

    def list_cards(self, *, customer_id) -> list[Card]:
        return []  # saved cards of the dummy provider live only in SavedPaymentMethod

    def detach_card(self, *, method_id) -> None:
        return None

    def parse_webhook(self, *, payload, signature) -> ProviderEvent:
        raise InvalidSignature("The dummy provider sends no webhooks.")
