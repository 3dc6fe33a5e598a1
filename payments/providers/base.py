"""What the shop needs from a payment provider. Nothing outside payments/providers/
knows which provider is active (settings.PAYMENT_PROVIDER)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

# Currencies without minor units (Stripe's list); every other is in hundredths.
ZERO_DECIMAL_CURRENCIES = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
    "VUV", "XAF", "XOF", "XPF",
}  # fmt: skip


def to_minor_units(amount: Decimal, currency: str) -> int:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount)
    return int((amount * 100).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount)
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


@dataclass
class Intent:
    id: str
    status: str
    client_secret: str = ""
    payment_method: str = ""
    card: dict[str, Any] = field(default_factory=dict)
    # Where the payer approves the payment (PayPal's window); "" when nothing to open.
    action_url: str = ""
    # What refunds go against when it is not the intent itself (PayPal's capture).
    charge_id: str = ""


@dataclass
class ProviderRefund:
    id: str
    status: str


@dataclass
class Card:
    id: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


@dataclass
class ProviderEvent:
    id: str
    type: str
    data: dict[str, Any]
    payload: dict[str, Any]


class ProviderError(Exception):
    """The provider could not be reached or refused for a reason that is not the card's."""


class CardDeclined(Exception):
    def __init__(self, message: str, *, code: str = "card_declined", decline_code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.decline_code = decline_code


class ApprovalRequired(Exception):
    """The payer has not approved the payment yet (PayPal): nothing failed."""


class InvalidSignature(Exception):
    pass


class PaymentProvider(Protocol):
    name: str
    # Confirming needs a payment method (a card); PayPal's payer approves in its window.
    needs_payment_method: bool

    def create_intent(
        self,
        *,
        amount: int,
        currency: str,
        idempotency_key: str,
        customer_id: str | None,
        metadata: dict[str, str],
        return_url: str = "",
        cancel_url: str = "",
    ) -> Intent: ...

    def confirm_intent(
        self,
        *,
        intent_id: str,
        payment_method: str,
        save_for_customer: str | None,
        return_url: str = "",
    ) -> Intent: ...

    def cancel_intent(self, *, intent_id: str) -> Intent: ...

    def refund(
        self,
        *,
        intent_id: str,
        amount: int,
        reason: str,
        idempotency_key: str,
        charge_id: str = "",
        currency: str = "",
    ) -> ProviderRefund: ...

    def create_customer(self, *, email: str, user_id: int) -> str: ...

    def list_cards(self, *, customer_id: str) -> list[Card]: ...

    def detach_card(self, *, method_id: str) -> None: ...

    def parse_webhook(self, *, payload: bytes, signature: str) -> ProviderEvent: ...
