"""A local fake PayPal for the tests: the REST calls the shop makes (OAuth, Orders v2
create, get and capture, capture refunds, verify-webhook-signature) answered with the
documented shapes, and the approval window (`/checkoutnow?token=`), served by
pytest-httpserver. The shop talks to it through PayPal's real SDK (PAYPAL_API_BASE).

Its state says what a test wants PayPal to do: `decline` the next captures, and
`sign(event)` gives the headers PayPal would sign an event with (the fake's
verification accepts exactly those).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

WEBHOOK_ID = "WH-FAKE-0001"


@dataclass
class FakeOrder:
    id: str
    amount: str
    currency: str
    return_url: str
    cancel_url: str
    custom_id: str
    status: str = "PAYER_ACTION_REQUIRED"
    capture: dict | None = None
    refunds: list = field(default_factory=list)


class FakePayPal:
    def __init__(self) -> None:
        self.base = ""
        self.orders: dict[str, FakeOrder] = {}
        self.by_request_id: dict[str, tuple[int, dict]] = {}
        self.decline = False
        self.calls: list[tuple[str, str]] = []
        self.token_requests = 0

    # --- What tests do ---------------------------------------------------------------

    def approve(self, order_id: str) -> None:
        self.orders[order_id].status = "APPROVED"

    def capture_id(self, order_id: str) -> str:
        return self.orders[order_id].capture["id"]

    def sign(self, event: dict) -> dict[str, str]:
        transmission_id = secrets.token_hex(8)
        return {
            "PayPal-Auth-Algo": "SHA256withRSA",
            "PayPal-Cert-Url": f"{self.base}/v1/notifications/certs/CERT-1",
            "PayPal-Transmission-Id": transmission_id,
            "PayPal-Transmission-Sig": self._signature(transmission_id, event),
            "PayPal-Transmission-Time": "2026-12-05T10:00:00Z",
        }

    def event(self, event_type: str, resource: dict) -> dict:
        return {
            "id": f"WH-{secrets.token_hex(6).upper()}",
            "event_version": "1.0",
            "create_time": "2026-12-05T10:00:00Z",
            "resource_type": "capture" if "CAPTURE" in event_type else "checkout-order",
            "event_type": event_type,
            "summary": event_type,
            "resource": resource,
        }

    def order_json(self, order_id: str) -> dict:
        return self._order(self.orders[order_id])

    # --- The server ------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.calls.append((request.method, request.path))
        path = request.path
        routes = [
            ("POST", r"/v1/oauth2/token", self._token),
            ("POST", r"/v2/checkout/orders", self._create),
            ("GET", r"/v2/checkout/orders/(?P<id>[^/]+)", self._get),
            ("POST", r"/v2/checkout/orders/(?P<id>[^/]+)/capture", self._capture),
            ("POST", r"/v2/payments/captures/(?P<id>[^/]+)/refund", self._refund),
            ("POST", r"/v1/notifications/verify-webhook-signature", self._verify),
            ("GET", r"/checkoutnow", self._window),
            ("POST", r"/checkoutnow", self._window_answer),
        ]
        for method, pattern, view in routes:
            found = re.fullmatch(pattern, path)
            if found and request.method == method:
                return view(request, **found.groupdict())
        return self._error(404, "RESOURCE_NOT_FOUND", "NOT_FOUND")

    def _json(self, data: dict, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, content_type="application/json")

    def _error(self, status: int, issue: str, name: str = "UNPROCESSABLE_ENTITY") -> Response:
        return self._json(
            {
                "name": name,
                "message": "The requested action could not be performed.",
                "debug_id": secrets.token_hex(6),
                "details": [{"issue": issue, "description": issue.replace("_", " ").lower()}],
            },
            status,
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization", "").startswith("Bearer A21-fake")

    def _token(self, request: Request) -> Response:
        if not request.headers.get("Authorization", "").startswith("Basic "):
            return self._json({"error": "invalid_client"}, 401)
        self.token_requests += 1
        return self._json(
            {
                "scope": "https://uri.paypal.com/services/payments/payment",
                "access_token": f"A21-fake-{secrets.token_hex(8)}",
                "token_type": "Bearer",
                "app_id": "APP-FAKE",
                "expires_in": 32400,
                "nonce": secrets.token_hex(8),
            }
        )

    def _idempotent(self, request: Request, build) -> Response:
        """PayPal-Request-Id: the same request id answers what it answered first."""
        key = f"{request.path}|{request.headers.get('PayPal-Request-Id', '')}"
        if request.headers.get("PayPal-Request-Id") and key in self.by_request_id:
            status, body = self.by_request_id[key]
            return self._json(body, status)
        status, body = build()
        if request.headers.get("PayPal-Request-Id") and status < 300:
            self.by_request_id[key] = (status, body)
        return self._json(body, status)

    def _order(self, order: FakeOrder) -> dict:
        data = {
            "id": order.id,
            "intent": "CAPTURE",
            "status": order.status,
            "purchase_units": [
                {
                    "reference_id": "default",
                    "amount": {"currency_code": order.currency, "value": order.amount},
                    "custom_id": order.custom_id,
                    **({"payments": {"captures": [order.capture]}} if order.capture else {}),
                }
            ],
            "links": [{"href": f"{self.base}/v2/checkout/orders/{order.id}", "rel": "self"}],
        }
        if order.status == "PAYER_ACTION_REQUIRED":
            data["links"].append(
                {"href": f"{self.base}/checkoutnow?token={order.id}", "rel": "payer-action"}
            )
        return data

    def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, "INVALID_TOKEN", "AUTHENTICATION_FAILURE")
        body = request.get_json(force=True)

        def build():
            unit = body["purchase_units"][0]
            context = body["payment_source"]["paypal"]["experience_context"]
            order = FakeOrder(
                id=secrets.token_hex(8).upper(),
                amount=unit["amount"]["value"],
                currency=unit["amount"]["currency_code"],
                return_url=context["return_url"],
                cancel_url=context["cancel_url"],
                custom_id=unit.get("custom_id", ""),
            )
            self.orders[order.id] = order
            return 200, self._order(order)

        return self._idempotent(request, build)

    def _get(self, request: Request, id: str) -> Response:
        if id not in self.orders:
            return self._error(404, "INVALID_RESOURCE_ID", "RESOURCE_NOT_FOUND")
        return self._json(self._order(self.orders[id]))

    def _capture(self, request: Request, id: str) -> Response:
        order = self.orders.get(id)
        if order is None:
            return self._error(404, "INVALID_RESOURCE_ID", "RESOURCE_NOT_FOUND")

        def build():
            if order.capture is not None:
                return 422, self._error_body("ORDER_ALREADY_CAPTURED")
            if order.status != "APPROVED":
                return 422, self._error_body("ORDER_NOT_APPROVED")
            if self.decline:
                return 422, self._error_body("INSTRUMENT_DECLINED")
            order.capture = {
                "id": secrets.token_hex(8).upper(),
                "status": "COMPLETED",
                "amount": {"currency_code": order.currency, "value": order.amount},
                "final_capture": True,
                "custom_id": order.custom_id,
                "supplementary_data": {"related_ids": {"order_id": order.id}},
                "links": [],
            }
            order.status = "COMPLETED"
            return 201, self._order(order)

        return self._idempotent(request, build)

    def _error_body(self, issue: str) -> dict:
        return json.loads(self._error(422, issue).get_data())

    def _refund(self, request: Request, id: str) -> Response:
        order = next((o for o in self.orders.values() if o.capture and o.capture["id"] == id), None)
        if order is None:
            return self._error(404, "INVALID_RESOURCE_ID", "RESOURCE_NOT_FOUND")
        body = request.get_json(force=True) or {}

        def build():
            amount = Decimal((body.get("amount") or {}).get("value") or order.amount)
            refunded = sum((Decimal(r["amount"]["value"]) for r in order.refunds), Decimal(0))
            if amount + refunded > Decimal(order.amount):
                return 422, self._error_body("REFUND_AMOUNT_EXCEEDED")
            refund = {
                "id": secrets.token_hex(8).upper(),
                "status": "COMPLETED",
                "amount": {"currency_code": order.currency, "value": f"{amount:.2f}"},
                "links": [
                    {"href": f"{self.base}/v2/payments/captures/{id}", "rel": "up"},
                ],
            }
            order.refunds.append(refund)
            if amount + refunded == Decimal(order.amount):
                order.capture["status"] = "REFUNDED"
            return 201, refund

        return self._idempotent(request, build)

    def _signature(self, transmission_id: str, event: dict) -> str:
        digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
        return hashlib.sha256(f"{transmission_id}|{WEBHOOK_ID}|{digest}".encode()).hexdigest()

    def _verify(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, "INVALID_TOKEN", "AUTHENTICATION_FAILURE")
        body = request.get_json(force=True) or {}
        expected = self._signature(body.get("transmission_id", ""), body.get("webhook_event") or {})
        good = body.get("webhook_id") == WEBHOOK_ID and body.get("transmission_sig") == expected
        return self._json({"verification_status": "SUCCESS" if good else "FAILURE"})

    # --- The approval window (what the shopper's browser sees) --------------------------

    def _window(self, request: Request) -> Response:
        order = self.orders.get(request.args.get("token", ""))
        if order is None:
            return Response("No such order", status=404)
        html = f"""<!doctype html><html lang="en"><head><title>PayPal (fake)</title></head>
<body><main><h1>Pay with PayPal</h1><p>Pay {order.amount} {order.currency} to the shop.</p>
<form method="post" action="/checkoutnow?token={order.id}">
<button name="answer" value="approve">Approve and pay</button>
<button name="answer" value="cancel">Cancel and return to the shop</button>
</form></main></body></html>"""
        return Response(html, content_type="text/html")

    def _window_answer(self, request: Request) -> Response:
        order = self.orders.get(request.args.get("token", ""))
        if order is None:
            return Response("No such order", status=404)
        if request.form.get("answer") == "approve":
            order.status = "APPROVED"
            query = urlencode({"token": order.id, "PayerID": "FAKEPAYER1"})
            return Response(status=302, headers={"Location": f"{order.return_url}?{query}"})
        query = urlencode({"token": order.id})
        return Response(status=302, headers={"Location": f"{order.cancel_url}?{query}"})
