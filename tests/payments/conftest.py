"""Payments against a real fake Stripe: localstripe in a subprocess, the real SDK.

`localstripe_url` starts one localstripe for the session (bound to 127.0.0.1 only);
`stripe_fake` empties it for each test and switches the shop to the Stripe provider.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
import stripe

from payments.providers.stripe_provider import StripeProvider
from tests.conftest import bearer_client
from tests.factories import ProductFactory, UserFactory, address_data, verify_email

WEBHOOK_SECRET = "whsec_test"
SECRET_KEY = "sk_test_localstripe"

# Cards localstripe knows (raw numbers: it has no `pm_card_visa` tokens to create from).
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # attaches to a customer, every charge is declined

# localstripe's own start() listens on every interface (`::`) and copies its whole store
# to /tmp/localstripe.pickle after every write (one file for every localstripe on the
# machine). Here it listens on the loopback only and keeps its data in memory.
_LAUNCHER = """
import logging, sys
from aiohttp import web
from localstripe.resources import Store
Store.dump_to_disk = lambda self: None
from localstripe.server import app
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]),
            access_log=logging.getLogger("aiohttp.access"), print=None)
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fake_request(base_url: str, method: str, path: str, form: dict | None = None):
    """A request to localstripe's own /_config/ endpoints: (status, body)."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    try:
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _start_localstripe(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            status, _ = fake_request(url, "DELETE", "/_config/data")
        except OSError:
            time.sleep(0.05)
            continue
        if status == 200:
            return process, url
        break
    process.kill()
    process.wait(timeout=5)
    pytest.fail(
        f"localstripe did not start on {url}; its log:\n{log_path.read_text(errors='replace')}"
    )


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """The address of a localstripe started for this test session."""
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    process, url = _start_localstripe(log_path)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class StripeFake:
    """localstripe as the shop sees it, with helpers for what a browser would do there."""

    url: str
    client: stripe.StripeClient

    @property
    def api(self):
        return self.client.v1

    def card(self, number: str = CARD_OK) -> str:
        """A card PaymentMethod made at the fake (as Stripe.js does); its id."""
        method = self.api.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            }
        )
        return method.id

    def intent(self, intent_id: str) -> dict:
        return self.api.payment_intents.retrieve(intent_id).to_dict()

    def pay_in_browser(self, intent_id: str, number: str = CARD_OK) -> dict:
        """Confirm the intent at the fake directly, as Stripe.js does with the client
        secret (the shop is not involved); the intent as Stripe now has it."""
        self.api.payment_intents.update(intent_id, params={"payment_method": self.card(number)})
        with contextlib.suppress(stripe.CardError):  # declined: the intent says so
            self.api.payment_intents.confirm(intent_id)
        return self.intent(intent_id)

    def refunds_of(self, intent_id: str) -> list[dict]:
        answer = self.api.refunds.list(params={"payment_intent": intent_id}).to_dict()
        return answer["data"]

    def send_webhooks_to(self, url: str, secret: str = WEBHOOK_SECRET, webhook_id="shop"):
        status, body = fake_request(
            self.url, "POST", f"/_config/webhooks/{webhook_id}", {"url": url, "secret": secret}
        )
        assert status == 200, body


@pytest.fixture
def stripe_fake(localstripe_url, settings, monkeypatch) -> StripeFake:
    """An empty localstripe, and the shop using the Stripe provider against it."""
    status, body = fake_request(localstripe_url, "DELETE", "/_config/data")
    assert status == 200, body
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    # localstripe answers 400 to a refund's `reason` and to `setup_future_usage`.
    monkeypatch.setattr(StripeProvider, "send_optional_params", False)
    client = stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0
    )
    return StripeFake(url=localstripe_url, client=client)


# --- People and orders -----------------------------------------------------------------


@pytest.fixture
def shopper(db):
    """A verified customer and their API client."""
    user = verify_email(UserFactory())
    return user, bearer_client(user)


def place_order(client, *, price: str = "24.50", quantity: int = 2) -> dict:
    """A pending order placed over the API (cart, then checkout); the order's JSON."""
    product = ProductFactory(price=price, stock_quantity=10)
    added = client.post(
        "/api/v1/cart/add/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    assert added.status_code == 200, added.json()
    placed = client.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    )
    assert placed.status_code == 201, placed.json()
    assert placed.json()["status"] == "pending"
    return placed.json()


def create_payment(client, order: dict) -> dict:
    response = client.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def confirm_payment(client, payment: dict, method: str, **extra):
    return client.post(
        "/api/v1/payments/confirm/",
        {"payment_id": payment["id"], "payment_method": method, **extra},
        format="json",
    )


def signed(event: dict, secret: str = WEBHOOK_SECRET) -> tuple[str, str]:
    """The event's JSON and a Stripe-Signature header for it, as Stripe makes them."""
    payload = json.dumps(event)
    return payload, stripe.WebhookSignature.generate_signature_header(payload, secret)


def post_webhook(client, payload: str, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(
        "/webhooks/stripe/", data=payload, content_type="application/json", **headers
    )


# --- Canned Stripe answers -------------------------------------------------------------
# What localstripe cannot produce (a decline_code, a server error, the headers the SDK
# sends): pytest-httpserver answers as Stripe would, and the real SDK talks to it.

CANNED_INTENT_ID = "pi_canned"
CANNED_METHOD_ID = "pm_canned"
INTENT_PATH = f"/v1/payment_intents/{CANNED_INTENT_ID}"


def intent_json(status: str = "requires_payment_method", **fields) -> dict:
    return {
        "id": CANNED_INTENT_ID,
        "object": "payment_intent",
        "amount": 4900,
        "currency": "usd",
        "status": status,
        "client_secret": f"{CANNED_INTENT_ID}_secret_canned",
        "customer": None,
        "payment_method": None,
        "last_payment_error": None,
        "metadata": {},
        "livemode": False,
        **fields,
    }


def method_json(customer: str | None = None) -> dict:
    return {
        "id": CANNED_METHOD_ID,
        "object": "payment_method",
        "type": "card",
        "customer": customer,
        "card": {"brand": "mastercard", "last4": "4444", "exp_month": 3, "exp_year": 2031},
    }


def stripe_error_json(error_type: str, message: str, **fields) -> dict:
    return {"error": {"type": error_type, "message": message, **fields}}


def sent(httpserver, path: str, method: str = "POST") -> list[tuple[dict, dict]]:
    """The requests the SDK sent to `path`: (headers, form fields) each, in order."""
    requests = []
    for request, _ in httpserver.log:
        if request.path == path and request.method == method:
            form = urllib.parse.parse_qs(request.get_data(as_text=True))
            requests.append(
                (dict(request.headers), {key: values[0] for key, values in form.items()})
            )
    return requests


@pytest.fixture
def canned_stripe(httpserver, settings, monkeypatch):
    """The shop on the Stripe provider, with pytest-httpserver as Stripe's API."""
    from stripe._http_client import HTTPClient

    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_canned"
    settings.STRIPE_API_BASE = httpserver.url_for("/").rstrip("/")
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    # The SDK's pause between retries (0.5 s and more) is its own business: not here.
    monkeypatch.setattr(HTTPClient, "INITIAL_DELAY", 0.001)
    monkeypatch.setattr(HTTPClient, "MAX_DELAY", 0.002)
    return httpserver


def expect_create(httpserver):
    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_json(intent_json())


def expect_succeeding_confirm(httpserver):
    httpserver.expect_request(INTENT_PATH, method="POST").respond_with_json(
        intent_json("requires_confirmation", payment_method=CANNED_METHOD_ID)
    )
    httpserver.expect_request(f"{INTENT_PATH}/confirm", method="POST").respond_with_json(
        intent_json("succeeded", payment_method=CANNED_METHOD_ID)
    )
    httpserver.expect_request(
        f"/v1/payment_methods/{CANNED_METHOD_ID}", method="GET"
    ).respond_with_json(method_json())


def canned_paid_payment(httpserver, client) -> tuple[dict, dict]:
    """An order of 49.00 paid with the canned card: (order, payment) as the API shows them."""
    expect_create(httpserver)
    expect_succeeding_confirm(httpserver)
    order = place_order(client, price="24.50", quantity=2)
    payment = create_payment(client, order)
    response = confirm_payment(client, payment, CANNED_METHOD_ID)
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    return order, payment


def deliver_at_once(post, count: int = 10) -> list[tuple[int, bool]]:
    """`post(client)` from `count` threads released together (one webhook sent many
    times at once); each answer's (status, duplicate), sorted."""
    import threading

    from django.db import connection
    from django.test import Client

    barrier = threading.Barrier(count)
    answers: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            response = post(Client())
            answers.append((response.status_code, response.json()["duplicate"]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return sorted(answers)
