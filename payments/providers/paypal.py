"""PayPal through its official server SDK (`paypal-server-sdk`), offered beside the card
provider when PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET are set.

Orders v2: a PayPal order for our order's amount (`create_intent`; its id is the
payment's `provider_payment_id`, its approval link the payment's `redirect_url`); the
shopper approves it in PayPal's window and comes back; we capture it on the server
(`confirm_intent`), with a PayPal-Request-Id so that a second capture (the shopper
coming back twice, a webhook first) answers the first one. Refunds go against the
capture (`charge_id`). Webhooks are verified as PayPal specifies: its
verify-webhook-signature call with our PAYPAL_WEBHOOK_ID, which the SDK does not cover,
so that one call is ours (`requests`, with the SDK's OAuth token).

The SDK answers model objects; this module reads the documented JSON of each answer.
PAYPAL_API_BASE points the SDK (and the verification call) at another server: the
local fake PayPal of the tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from decimal import Decimal
from typing import Any

import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.o_auth_token import OAuthToken
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from payments.providers.base import (
    ApprovalRequired,
    Card,
    CardDeclined,
    Intent,
    InvalidSignature,
    ProviderError,
    ProviderEvent,
    ProviderRefund,
    from_minor_units,
)

logger = logging.getLogger(__name__)

# A PayPal order's status, and its capture's, as our payment statuses.
ORDER_STATUS = {
    "CREATED": "requires_action",  # the shopper has not approved it yet
    "SAVED": "requires_action",
    "PAYER_ACTION_REQUIRED": "requires_action",
    "APPROVED": "requires_confirmation",  # approved: we capture
    "VOIDED": "canceled",
}
CAPTURE_STATUS = {
    "COMPLETED": "succeeded",
    "PENDING": "processing",  # PayPal settles it later (an eCheck, a review)
    "DECLINED": "failed",
    "FAILED": "failed",
}
REFUND_STATUS = {"COMPLETED": "succeeded", "PENDING": "pending", "FAILED": "failed"}
# What PayPal says when the buyer's funding was refused at capture.
DECLINED_ISSUES = {"INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED", "TRANSACTION_REFUSED"}
TOKEN_CACHE_KEY = "payments:paypal:oauth-token"  # noqa: S105 (a cache key, not a secret)
TIMEOUT_SECONDS = 20


def configured() -> bool:
    """Offered only with its webhook too: a capture PayPal holds (pending) is settled by
    its webhook, and so is a payer who approved and never came back."""
    return bool(
        settings.PAYPAL_CLIENT_ID and settings.PAYPAL_CLIENT_SECRET and settings.PAYPAL_WEBHOOK_ID
    )


class _Configuration(Configuration):
    """The SDK's configuration, with PAYPAL_API_BASE (a fake PayPal) when it is set."""

    def get_base_uri(self, server=Server.DEFAULT):
        return settings.PAYPAL_API_BASE.rstrip("/") or super().get_base_uri(server)


def _token_key() -> str:
    """Per account and PayPal: new credentials, or sandbox and live, never share one."""
    account = f"{settings.PAYPAL_CLIENT_ID}|{settings.PAYPAL_MODE}|{settings.PAYPAL_API_BASE}"
    return f"{TOKEN_CACHE_KEY}:{hashlib.sha256(account.encode()).hexdigest()[:16]}"


def _forget_token() -> None:
    with contextlib.suppress(Exception):  # a cache that is down holds nothing to forget
        cache.delete(_token_key())


def _cached_token(last_token, auth_manager):
    """The SDK's OAuth token, shared by every process through the cache until shortly
    before it expires (one token request per few hours, not one per payment). Kept as
    plain values, not the SDK's object; a cache that is down only costs a new token."""
    try:
        kept = cache.get(_token_key())
    except Exception:
        kept = None
    if isinstance(kept, dict) and kept.get("access_token"):
        return OAuthToken(access_token=kept["access_token"], token_type="Bearer")  # noqa: S106
    token = auth_manager.fetch_token()
    lifetime = int(getattr(token, "expires_in", 0) or 0)
    with contextlib.suppress(Exception):
        cache.set(
            _token_key(), {"access_token": token.access_token}, timeout=max(60, lifetime - 300)
        )
    return token


def _client() -> PaypalServersdkClient:
    live = settings.PAYPAL_MODE == "live"
    config = _Configuration(
        environment=Environment.PRODUCTION if live else Environment.SANDBOX,
        timeout=TIMEOUT_SECONDS,
        max_retries=2,
        client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
            o_auth_client_id=settings.PAYPAL_CLIENT_ID,
            o_auth_client_secret=settings.PAYPAL_CLIENT_SECRET,
            o_auth_token_provider=_cached_token,
        ),
    )
    return PaypalServersdkClient(config=config)


def _json(response) -> dict[str, Any]:
    try:
        data = json.loads(response.text or "{}")
    except ValueError as exc:
        raise ProviderError("PayPal answered something that is not JSON.") from exc
    return data if isinstance(data, dict) else {}


def _error_body(exc: ApiException) -> dict[str, Any]:
    try:
        data = json.loads(exc.response.text or "{}")
    except (AttributeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _issues(body: dict[str, Any]) -> set[str]:
    return {str(detail.get("issue", "")) for detail in body.get("details") or [] if detail}


def _link(data: dict[str, Any], *rels: str) -> str:
    for link in data.get("links") or []:
        if link.get("rel") in rels:
            return str(link.get("href", ""))
    return ""


def _captures(order: dict[str, Any]) -> list[dict[str, Any]]:
    units = order.get("purchase_units") or []
    return [
        capture
        for unit in units
        for capture in ((unit.get("payments") or {}).get("captures") or [])
    ]


def _money(amount: int, currency: str) -> str:
    return f"{from_minor_units(amount, currency):f}"


class PayPalProvider:
    name = "paypal"
    # The shopper approves in PayPal's window: capturing needs no payment method.
    needs_payment_method = False

    def __init__(self) -> None:
        self.client = _client()

    def _call(self, function, options: dict[str, Any], *, retried: bool = False) -> dict:
        try:
            return _json(function(options))
        except ApiException as exc:
            if getattr(exc, "response_code", 0) == 401 and not retried:
                _forget_token()  # revoked or expired early: a new token, once
                return self._call(function, options, retried=True)
            body = _error_body(exc)
            status = getattr(exc, "response_code", 0)
            if status == 422 and _issues(body) & DECLINED_ISSUES:
                issue = sorted(_issues(body) & DECLINED_ISSUES)[0]
                raise CardDeclined(
                    _(
                        "PayPal declined this payment: choose another way to pay in PayPal, "
                        "or another payment method."
                    ),
                    code="paypal_declined",
                    decline_code=issue.lower(),
                ) from exc
            raise ProviderError(
                f"PayPal refused the request ({status} {body.get('name', '')})."
            ) from exc
        except (requests.RequestException, OSError) as exc:
            raise ProviderError("PayPal could not be reached.") from exc
        except AuthValidationException as exc:  # the SDK could not get a token
            raise ProviderError("PayPal refused the shop's credentials.") from exc

    def create_intent(
        self,
        *,
        amount,
        currency,
        idempotency_key,
        customer_id,
        metadata,
        return_url: str = "",
        cancel_url: str = "",
    ) -> Intent:
        context = PaypalWalletExperienceContext(
            brand_name=getattr(settings, "SITE_NAME", "Shop")[:127],
            shipping_preference="NO_SHIPPING",  # the order has its address already
            user_action="PAY_NOW",
            return_url=return_url or settings.SITE_URL,
            cancel_url=cancel_url or settings.SITE_URL,
        )
        body = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(
                        currency_code=currency.upper(), value=_money(amount, currency)
                    ),
                    custom_id=metadata.get("order_id", "")[:127],
                    invoice_id=metadata.get("order_number", "")[:127],
                )
            ],
            payment_source=PaymentSource(paypal=PaypalWallet(experience_context=context)),
        )
        order = self._call(
            self.client.orders.create_order,
            {"body": body, "paypal_request_id": idempotency_key, "prefer": "return=minimal"},
        )
        return Intent(
            id=str(order.get("id", "")),
            status=ORDER_STATUS.get(order.get("status", ""), "requires_action"),
            action_url=_link(order, "payer-action", "approve"),
        )

    def retrieve_intent(self, *, intent_id: str) -> Intent:
        return self._intent_of(self._call(self.client.orders.get_order, {"id": intent_id}))

    def _intent_of(self, order: dict[str, Any]) -> Intent:
        captures = _captures(order)
        if captures:
            capture = captures[-1]
            status = CAPTURE_STATUS.get(capture.get("status", ""), "processing")
            return Intent(
                id=str(order.get("id", "")),
                status=status,
                payment_method="paypal",
                charge_id=str(capture.get("id", "")),
            )
        return Intent(
            id=str(order.get("id", "")),
            status=ORDER_STATUS.get(order.get("status", ""), "requires_action"),
            action_url=_link(order, "payer-action", "approve"),
        )

    def confirm_intent(self, *, intent_id, payment_method, save_for_customer, **_url) -> Intent:
        """Capture the approved order. A second capture of the same order (a shopper
        back twice, a webhook first) answers what the first one took."""
        try:
            order = self._call(
                self.client.orders.capture_order,
                {
                    "id": intent_id,
                    "paypal_request_id": f"capture-{intent_id}",
                    "prefer": "return=representation",
                },
            )
        except ProviderError as exc:
            cause = exc.__cause__
            issues = _issues(_error_body(cause)) if isinstance(cause, ApiException) else set()
            if "ORDER_ALREADY_CAPTURED" in issues:
                return self.retrieve_intent(intent_id=intent_id)
            if "ORDER_NOT_APPROVED" in issues:
                raise ApprovalRequired() from exc
            raise
        intent = self._intent_of(order)
        if intent.status == "failed":
            raise CardDeclined(
                "PayPal declined this payment.", code="paypal_declined", decline_code="declined"
            )
        return intent

    def cancel_intent(self, *, intent_id) -> Intent:
        # An order nobody approved simply expires at PayPal (Orders v2 has no void for
        # it): ours is cancelled, and capturing it is refused from then on.
        return Intent(id=intent_id, status="canceled")

    def refund(
        self, *, intent_id, amount, reason, idempotency_key, charge_id: str = "", currency=""
    ) -> ProviderRefund:
        if not charge_id:
            charge_id = self.retrieve_intent(intent_id=intent_id).charge_id
        if not charge_id:
            raise ProviderError("This PayPal order has no capture to refund.")
        body = RefundRequest(
            amount=Money(currency_code=(currency or "USD").upper(), value=_money(amount, currency))
        )
        refund = self._call(
            self.client.payments.refund_captured_payment,
            {
                "capture_id": charge_id,
                "body": body,
                "paypal_request_id": idempotency_key,
                "prefer": "return=representation",
            },
        )
        return ProviderRefund(
            id=str(refund.get("id", "")),
            status=REFUND_STATUS.get(refund.get("status", ""), "pending"),
        )

    # PayPal keeps no cards for the shop: saved cards are the card provider's.
    def create_customer(self, *, email, user_id) -> str:
        raise ProviderError("PayPal keeps no customers for the shop.")

    def list_cards(self, *, customer_id) -> list[Card]:
        return []

    def detach_card(self, *, method_id) -> None:
        return None

    def parse_webhook(self, *, payload, signature) -> ProviderEvent:
        """`signature`: the PayPal-Transmission-* and PayPal-Auth-Algo and -Cert-Url
        headers as JSON (payments.views.paypal_webhook). PayPal checks them against the
        body and PAYPAL_WEBHOOK_ID; anything but SUCCESS is refused."""
        try:
            headers = json.loads(signature or "{}")
            event = json.loads(payload)
        except ValueError as exc:
            raise InvalidSignature("The body or the signature headers are not JSON.") from exc
        if not (isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"]):
            raise InvalidSignature("The body is not a PayPal event.")
        wanted = ("auth_algo", "cert_url", "transmission_id", "transmission_sig")
        if not isinstance(headers, dict) or not all(headers.get(name) for name in wanted):
            raise InvalidSignature("The PayPal signature headers are missing.")
        body = {
            **{name: headers.get(name, "") for name in (*wanted, "transmission_time")},
            "webhook_id": settings.PAYPAL_WEBHOOK_ID,
            "webhook_event": event,
        }
        try:
            token = _cached_token(None, self.client.oauth_2)
            answer = requests.post(
                f"{self.client.config.get_base_uri()}/v1/notifications/verify-webhook-signature",
                json=body,
                headers={"Authorization": f"Bearer {token.access_token}"},
                timeout=TIMEOUT_SECONDS,
            )
        except (requests.RequestException, ApiException, AuthValidationException) as exc:
            raise ProviderError("PayPal could not be reached to verify a webhook.") from exc
        if answer.status_code in (401, 403) or answer.status_code >= 500:
            # Our token, not the event: PayPal is asked again when it resends it.
            _forget_token()
            raise ProviderError("PayPal could not verify a webhook now.")
        try:
            verdict = answer.json().get("verification_status") if answer.ok else "FAILURE"
        except (ValueError, AttributeError) as exc:
            raise ProviderError("PayPal answered the verification with no JSON.") from exc
        if verdict != "SUCCESS":
            raise InvalidSignature("PayPal did not confirm this webhook's signature.")
        resource = event.get("resource")
        return ProviderEvent(
            id=event["id"],
            type=str(event.get("event_type", "")),
            data=resource if isinstance(resource, dict) else {},
            payload=event,
        )


def refund_amount(resource: dict[str, Any]) -> Decimal:
    return Decimal(str((resource.get("amount") or {}).get("value") or "0"))
