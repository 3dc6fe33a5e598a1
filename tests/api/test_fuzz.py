"""Schema fuzzing: schemathesis generates requests for every operation of /api/schema/ and
checks that no answer is a server error and that every answer (status code, content type
and body) is one the schema describes.

Each operation is run signed in as customer A and as staff, against the world of
tests/api/conftest.py. Generated ids rarely name anything, so every other case gets the
ids of the world's objects put in (in the path, and in the body's `product_id`,
`order_id`, `payment_id`...), which takes the fuzzing past the 404s into the code that
works on real objects. The run is deterministic (a fixed seed, derandomised Hypothesis):
the same cases every time.

A longer hunt, now and then: FUZZ_EXAMPLES=150 FUZZ_COVERAGE=1 (boundary values and
every way to break each field) makes about ten times as many cases.
"""

from __future__ import annotations

import itertools
import os
import warnings

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import World, rolled_back
from tests.factories import DEFAULT_PASSWORD

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "25"))

CONFIG = {
    "seed": 20261122,
    "generation": {
        "max-examples": EXAMPLES_PER_OPERATION,
        "deterministic": True,
        "no-shrink": True,
        "database": "none",
        "mode": "all",  # valid and invalid input alike
    },
    "phases": {
        "examples": {"enabled": False},
        # Boundary values and every way to break each field: many more cases; on demand.
        "coverage": {"enabled": os.environ.get("FUZZ_COVERAGE") == "1"},
        "stateful": {"enabled": False},
        "fuzzing": {"enabled": True},
    },
    "suppress-health-check": ["all"],
}


def load_schema():
    """The schema as /api/schema/ serves it (read at collection, to make one test per
    operation; reading it touches no database)."""
    with warnings.catch_warnings():
        # WhiteNoise looks for collected static files, which a test run makes later.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        from config.wsgi import application

        return schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json",
            application,
            config=schemathesis.Config.from_dict(CONFIG),
        )


schema = load_schema()
pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def connection_kept_open():
    """The requests go through the WSGI application as a server runs them, and Django
    closes the database connection when a request ends, which would end the test's
    transaction; Django's test client keeps the connection open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(connection_kept_open, shared_world, db, settings, fake_paypal) -> World:
    """The world, with throttles wide open (fuzzing sends hundreds of requests a minute;
    the throttles are tested elsewhere), a Stripe webhook secret and PayPal against its
    local fake (so that webhooks are checked for their signature rather than refused as
    not configured)."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/min"),
    }
    settings.STRIPE_WEBHOOK_SECRET = "whsec_fuzzing"
    return shared_world


def known_path_parameters(world: World, path: str, role: str) -> dict:
    """Ids of objects the world has, for the parameters of `path`."""
    if path.startswith("/api/v1/users/{user_id}"):
        return {"user_id": world.user("customer_a").pk}
    if path.startswith("/api/v1/users/{id}"):
        return {"id": world.user("customer_b").pk}
    if path.startswith("/api/v1/products/{product_id}/reviews"):
        return {"product_id": world.product_y.pk}
    by_prefix = {
        "/api/v1/addresses/{id}": world.address_a,
        "/api/v1/cart/{item_id}": world.cart_item_a,
        "/api/v1/categories/{id}": world.category_free,
        "/api/v1/orders/{id}": world.order_a,
        "/api/v1/payments/methods/{id}": world.method_a,
        "/api/v1/payments/{id}": world.payment_a,
        "/api/v1/products/{id}": world.product_x,
        "/api/v1/reviews/{id}": world.review_a,
        "/api/v1/shops/{id}": world.shop_x,
    }
    for prefix, instance in by_prefix.items():
        if path.startswith(prefix):
            name = prefix.rsplit("{", 1)[1].rstrip("}")
            return {name: str(instance.pk)}
    return {}


def known_body_values(world: World, path: str, role: str) -> dict:
    """Values of body fields that name the world's objects, or hold valid credentials."""
    payment = world.payment_paid if path.endswith("/refund/") else world.payment_a
    return {
        "product_id": world.product_z.pk,
        "order_id": str(world.order_a.pk),
        "payment_id": str(payment.pk),
        "shipping_address_id": world.address_a.pk,
        "billing_address_id": world.address_a.pk,
        "shop": world.shop_x.pk,
        "refresh": world.refresh_token(role),
        "email": world.email(role),
        "password": DEFAULT_PASSWORD,
        "old_password": DEFAULT_PASSWORD,
        "payment_method": "pm_card_visa",
        "key": world.verify_key,
        "uid": world.reset_uid,
        "token": world.reset_token,
    }


def with_known_objects(case, world: World, role: str) -> None:
    """Point the case at the world's objects (those its path and body name)."""
    known = known_path_parameters(world, case.path, role)
    if known and case.path_parameters:
        case.path_parameters = {**case.path_parameters, **known}
    if isinstance(case.body, dict):
        values = known_body_values(world, case.path, role)
        case.body = {**case.body, **{k: v for k, v in values.items() if k in case.body}}


ALTERNATE = itertools.cycle([False, True])


@pytest.fixture(params=["customer_a", "staff"])
def role(request) -> str:
    """Who sends the requests: customer A, then platform staff."""
    return request.param


@schema.parametrize()
def test_the_api_answers_as_its_schema_says(case, role, world):
    # Every other case is pointed at the world's objects. Each starts from the same world:
    # what one case changes (an erased account, a cancelled order) is rolled back.
    if next(ALTERNATE):
        with_known_objects(case, world, role)
    cache.clear()
    with rolled_back():
        headers = {"Authorization": f"Bearer {world.access_token(role)}"}
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_every_operation_of_the_schema_is_fuzzed():
    described = {
        (method.upper(), path)
        for path, item in schema.raw_schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    fuzzed = {
        (operation.method.upper(), operation.path)
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    assert fuzzed == described and len(fuzzed) > 70
