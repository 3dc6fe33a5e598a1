"""Stripe through its official SDK (used when STRIPE_SECRET_KEY is set)."""

from __future__ import annotations

import json

import stripe
from django.conf import settings

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


def _card_of(method) -> dict:
    card = getattr(method, "card", None) if method is not None else None
    if not card:
        return {}
    return {
        "brand": card.get("brand", ""),
        "last4": card.get("last4", ""),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
    }


def _intent(obj, card: dict | None = None) -> Intent:
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

    def __init__(self) -> None:
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,
            max_network_retries=2,
        ).v1

    def _call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except stripe.CardError as exc:
            error = exc.error
            raise CardDeclined(
                getattr(error, "message", None)
                or str(exc.user_message or "Your card was declined."),
                code=getattr(error, "code", None) or "card_declined",
                decline_code=getattr(error, "decline_code", None) or "",
            ) from exc
        except stripe.StripeError as exc:
            raise ProviderError(str(exc.user_message or exc)) from exc

    def create_intent(self, *, amount, currency, idempotency_key, customer_id, metadata) -> Intent:
        params = {"amount": amount, "currency": currency.lower(), "metadata": metadata}
        if customer_id:
            params["customer"] = customer_id
        intent = self._call(
            self.client.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return _intent(intent)

    def confirm_intent(self, *, intent_id, payment_method, save_for_customer) -> Intent:
        # The method is set with an update, then confirmed: that is what Stripe accepts
        # for server-side confirmation, and what the local fake Stripe supports too.
        update = {"payment_method": payment_method}
        if save_for_customer:
            update["setup_future_usage"] = "off_session"
        self._call(self.client.payment_intents.update, intent_id, params=update)
        intent = self._call(self.client.payment_intents.confirm, intent_id)
        card = {}
        if intent.get("payment_method"):
            method = self._call(self.client.payment_methods.retrieve, intent["payment_method"])
            card = _card_of(method)
        if intent["status"] == "requires_payment_method":  # the card was declined
            error = intent.get("last_payment_error") or {}
            raise CardDeclined(
                error.get("message") or "Your card was declined.",
                code=error.get("code") or "card_declined",
                decline_code=error.get("decline_code") or "",
            )
        return _intent(intent, card)

    def cancel_intent(self, *, intent_id) -> Intent:
        return _intent(self._call(self.client.payment_intents.cancel, intent_id))

    def refund(self, *, intent_id, amount, reason, idempotency_key) -> ProviderRefund:
        params = {"payment_intent": intent_id, "amount": amount, "metadata": {"reason": reason}}
        if reason in STRIPE_REFUND_REASONS:
            params["reason"] = reason
        refund = self._call(
            self.client.refunds.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return ProviderRefund(id=refund["id"], status=refund["status"])

    def create_customer(self, *, email, user_id) -> str:
        customer = self._call(
            self.client.customers.create,
            params={"email": email, "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"customer-{user_id}"},
        )
        return customer["id"]

    def list_cards(self, *, customer_id) -> list[Card]:
        methods = self._call(
            self.client.payment_methods.list, params={"customer": customer_id, "type": "card"}
        )
        return [
            Card(id=method["id"], **_card_of(method)) for method in methods.data if _card_of(method)
        ]

    def detach_card(self, *, method_id) -> None:
        self._call(self.client.payment_methods.detach, method_id)

    def parse_webhook(self, *, payload, signature) -> ProviderEvent:
        secret = settings.STRIPE_WEBHOOK_SECRET
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, secret, tolerance=300
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise InvalidSignature(str(exc)) from exc
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise InvalidSignature("The body is not JSON.") from exc
        return ProviderEvent(
            id=data["id"],
            type=data["type"],
            data=data.get("data", {}).get("object", {}),
            payload=data,
        )
