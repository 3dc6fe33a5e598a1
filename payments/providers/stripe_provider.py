"""Stripe through its official SDK (used when STRIPE_SECRET_KEY is set)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from payments.providers.base import (
    Card,
    CardDeclined,
    Intent,
    InvalidSignature,
    ProviderError,
    ProviderEvent,
    ProviderRefund,
)

# Stripe's refund reasons; the shop's others travel as metadata.
STRIPE_REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}

# How old a signed webhook may be (Stripe's own default): older ones may be replays.
WEBHOOK_TOLERANCE_SECONDS = 300


def _as_dict(obj: Any) -> dict[str, Any]:
    """The SDK's answers as plain dicts: since stripe 13 its objects are no longer dicts
    (no `.get`), and the rest of this module reads them as such."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


def _card_of(method: dict[str, Any]) -> dict[str, Any]:
    card = method.get("card") or {}
    if not card:
        return {}
    return {
        "brand": card.get("brand", ""),
        "last4": card.get("last4", ""),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
    }


def _intent(obj: dict[str, Any], card: dict | None = None) -> Intent:
    payment_method = obj.get("payment_method") or ""
    if not isinstance(payment_method, str):
        payment_method = payment_method.get("id", "")
    return Intent(
        id=obj["id"],
        status=obj["status"],
        client_secret=obj.get("client_secret") or "",
        payment_method=payment_method,
        card=card or {},
    )


class StripeProvider:
    name = "stripe"
    needs_payment_method = True

    # Optional refinements that Stripe takes but a local fake Stripe (localstripe)
    # refuses with a 400: a refund's `reason` and `setup_future_usage` on a card being
    # saved. Tests against such a fake switch this off; the tests with canned Stripe
    # answers check that both are sent.
    send_optional_params = True

    # Retries are safe: every write carries an idempotency key (ours, or the SDK's).
    max_network_retries = 2

    def __init__(self) -> None:
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,
            max_network_retries=self.max_network_retries,
        ).v1

    def _call(self, function, *args, **kwargs) -> dict[str, Any]:
        try:
            return _as_dict(function(*args, **kwargs))
        except stripe.CardError as exc:
            error = _as_dict(exc.error)
            raise CardDeclined(
                error.get("message") or exc.user_message or _("Your card was declined."),
                code=error.get("code") or exc.code or "card_declined",
                decline_code=error.get("decline_code") or "",
            ) from exc
        except stripe.InvalidRequestError as exc:
            if exc.param == "payment_method":  # no such card, or one that cannot be used
                raise CardDeclined(
                    exc.user_message or _("This payment method cannot be used."),
                    code="invalid_payment_method",
                ) from exc
            raise ProviderError(str(exc.user_message or exc)) from exc
        except stripe.StripeError as exc:
            raise ProviderError(str(exc.user_message or exc)) from exc

    def create_intent(
        self, *, amount, currency, idempotency_key, customer_id, metadata, **_urls
    ) -> Intent:
        params = {"amount": amount, "currency": currency.lower(), "metadata": metadata}
        if self.send_optional_params:
            # What the account enables (cards, Apple Pay and Google Pay, SEPA debit, iDEAL,
            # Bancontact...), offered by the Payment Element; a server-side confirmation
            # sends a return_url for the methods that leave for the bank.
            params["automatic_payment_methods"] = {"enabled": True}
        else:  # a local fake Stripe knows cards only
            params["payment_method_types"] = ["card"]
        if customer_id:
            params["customer"] = customer_id
        intent = self._call(
            self.client.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return _intent(intent)

    def confirm_intent(
        self, *, intent_id, payment_method, save_for_customer, return_url: str = ""
    ) -> Intent:
        # The method is set with an update, then confirmed: that is what Stripe accepts
        # for server-side confirmation, and what the local fake Stripe supports too.
        update = {"payment_method": payment_method}
        attached_here = False
        if save_for_customer:
            # Attached before the charge: a card used once without a customer can never
            # be attached afterwards.
            method = self._call(self.client.payment_methods.retrieve, payment_method)
            if method.get("customer") != save_for_customer:
                method = self._call(
                    self.client.payment_methods.attach,
                    payment_method,
                    params={"customer": save_for_customer},
                )
                attached_here = True
            # A test token (pm_card_visa) becomes a card of its own when attached: pay
            # with that one.
            payment_method = method.get("id") or payment_method
            update = {"payment_method": payment_method, "customer": save_for_customer}
            if self.send_optional_params:
                update["setup_future_usage"] = "off_session"
        try:
            self._call(self.client.payment_intents.update, intent_id, params=update)
            confirm = {"return_url": return_url} if return_url and self.send_optional_params else {}
            intent = self._call(self.client.payment_intents.confirm, intent_id, params=confirm)
            if intent["status"] == "requires_payment_method":  # declined after the fact
                error = intent.get("last_payment_error") or {}
                raise CardDeclined(
                    error.get("message") or "Your card was declined.",
                    code=error.get("code") or "card_declined",
                    decline_code=error.get("decline_code") or "",
                )
        except CardDeclined:
            if attached_here:  # a declined card is not kept on the customer
                self._detach_quietly(payment_method)
            raise
        card = {}
        if intent.get("payment_method"):
            method = intent["payment_method"]
            if isinstance(method, str):
                method = self._call(self.client.payment_methods.retrieve, method)
            card = _card_of(method)
        return _intent(intent, card)

    def _detach_quietly(self, method_id: str) -> None:
        # Best effort: if this fails, the card stays on the customer, unused.
        with contextlib.suppress(ProviderError):
            self.detach_card(method_id=method_id)

    def cancel_intent(self, *, intent_id) -> Intent:
        return _intent(self._call(self.client.payment_intents.cancel, intent_id))

    def refund(self, *, intent_id, amount, reason, idempotency_key, **_charge) -> ProviderRefund:
        params = {"payment_intent": intent_id, "amount": amount, "metadata": {"reason": reason}}
        if reason in STRIPE_REFUND_REASONS and self.send_optional_params:
            params["reason"] = reason
        refund = self._call(
            self.client.refunds.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return ProviderRefund(id=refund["id"], status=refund["status"])

    def create_customer(self, *, email, user_id) -> str:
        # Two simultaneous first saves make one customer. The address is part of the key:
        # a key reused with other parameters is refused by Stripe for 24 hours.
        email_digest = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
        customer = self._call(
            self.client.customers.create,
            params={"email": email, "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"customer-{user_id}-{email_digest}"},
        )
        return customer["id"]

    def list_cards(self, *, customer_id) -> list[Card]:
        methods = self._call(
            self.client.payment_methods.list, params={"customer": customer_id, "type": "card"}
        )
        return [
            Card(id=method["id"], **_card_of(method))
            for method in methods.get("data", [])
            if _card_of(method)
        ]

    def detach_card(self, *, method_id) -> None:
        self._call(self.client.payment_methods.detach, method_id)

    def parse_webhook(self, *, payload, signature) -> ProviderEvent:
        secret = settings.STRIPE_WEBHOOK_SECRET
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise InvalidSignature(str(exc)) from exc
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise InvalidSignature("The body is not JSON.") from exc
        if not (
            isinstance(data, dict)
            and isinstance(data.get("id"), str)
            and data["id"]
            and isinstance(data.get("type"), str)
        ):
            raise InvalidSignature("The body is not a Stripe event.")
        obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else {}
        return ProviderEvent(
            id=data["id"],
            type=data["type"],
            data=obj if isinstance(obj, dict) else {},
            payload=data,
        )
