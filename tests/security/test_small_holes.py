"""Smaller holes, each with a test (issue 14, point 8)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from cart.services import MAX_LINE_QUANTITY, cart_add_item, cart_get_for_user
from catalog.selectors import MAX_SEARCH_WORDS, product_list_public, product_search
from orders.models import Order
from orders.services import order_place
from tests.conftest import bearer_client
from tests.factories import (
    DEFAULT_PASSWORD,
    ProductFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


# --- The erased-account address cannot be registered -------------------------------------


def test_the_erased_account_address_cannot_be_registered(client):
    victim = verify_email(UserFactory())
    taken = f"erased-{victim.pk}@erased.invalid"

    api = (
        bearer_client(UserFactory())
        .__class__()
        .post(
            "/api/v1/auth/register/", {"email": taken, "password": "n3w-Pass!x-long"}, format="json"
        )
    )
    assert api.status_code == 400 and api.json()["fields"]["email"]
    page = client.post(
        reverse("account_signup"),
        {"email": taken, "password1": "n3w-Pass!x-long", "password2": "n3w-Pass!x-long"},
    )
    assert page.status_code == 200 and page.context["form"].errors["email"]

    # So the victim's erasure goes through (it answered 500 when the address was taken).
    account_services.user_erase(user=victim, password=DEFAULT_PASSWORD)
    victim.refresh_from_db()
    assert victim.email == taken and not victim.is_active


# --- export_orders escapes formulas as the admin export does: one writer ----------------


def test_export_orders_and_the_admin_export_write_the_same_escaped_rows(client, tmp_path):
    buyer = verify_email(UserFactory(email="=1+1@example.com"))
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(), quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())

    path = tmp_path / "orders.csv"
    call_command("export_orders", "--output", str(path), verbosity=0)
    command_rows = list(csv.reader(path.open(encoding="utf-8")))

    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "export_csv", "_selected_action": [str(order.pk)], "index": 0},
    )
    admin_rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert command_rows == admin_rows
    assert command_rows[1][3] == "'=1+1@example.com"  # not a formula in a spreadsheet


# --- Search on SQLite: one EXISTS per word, and only the first words ---------------------


def test_search_uses_one_condition_per_word_and_caps_the_words():
    kettle = ProductFactory(
        name="Sturdy kettle", description="Boils water", tags=[TagFactory(name="kitchen")]
    )
    words = " ".join(["sturdy", "kettle", "kitchen", "water"] * 8)  # thirty-two words
    with CaptureQueriesContext(connection) as queries:
        found = list(product_search(product_list_public(), words))
    assert found == [kettle]
    sql = queries.captured_queries[-1]["sql"].upper()
    if connection.vendor == "sqlite":
        # Two subqueries per word (its tags, its variants' SKUs and options), no joins.
        assert sql.count("EXISTS") == 2 * MAX_SEARCH_WORDS
        assert "DISTINCT" not in sql


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_quickstart_serves_a_long_search_beside_twenty_writers(tmp_path):
    """On the quickstart's SQLite settings (WAL, IMMEDIATE transactions, a busy timeout),
    a thirty-word search answers while twenty threads write, and no writer fails with
    "database is locked"."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'quickstart.db'}"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "security" / "_sqlite_writers.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["journal_mode"] == "wal"
    assert outcome["errors"] == []
    assert outcome["writes"] == 20 * 15
    assert (outcome["search_status"], outcome["search_count"]) == (200, 60)
    # Far below the 20 s a request would wait for the lock: it did not queue behind them.
    assert outcome["search_seconds"] < 10


# --- Money that would overflow its column, and the cart line maximum --------------------


def test_a_line_total_past_what_an_amount_holds_is_a_validation_error():
    buyer = verify_email(UserFactory())
    pricey = ProductFactory(price=Decimal("6000000000.00"), stock_quantity=10)
    client = bearer_client(buyer)

    response = client.post(
        "/api/v1/cart/add/", {"product_id": pricey.pk, "quantity": 2}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "quantity" in response.json()["fields"]
    assert not cart_get_for_user(user=buyer).items.exists()


def test_an_order_total_past_what_an_amount_holds_is_a_validation_error():
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    for _ in range(2):
        cart_add_item(cart=cart, product=ProductFactory(price=Decimal("6000000000.00")), quantity=1)

    response = bearer_client(buyer).post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    )

    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert not Order.objects.exists()
    assert cart.items.count() == 2


def test_repeated_adds_cannot_push_a_line_past_the_maximum():
    buyer = verify_email(UserFactory())
    product = ProductFactory(stock_quantity=5000, price="1.00")
    client = bearer_client(buyer)
    add = {"product_id": product.pk, "quantity": MAX_LINE_QUANTITY}
    assert client.post("/api/v1/cart/add/", add, format="json").status_code == 200

    response = client.post("/api/v1/cart/add/", {**add, "quantity": 1}, format="json")

    assert response.status_code == 400 and "quantity" in response.json()["fields"]
    assert cart_get_for_user(user=buyer).items.get().quantity == MAX_LINE_QUANTITY


# --- The production shape defaults to HTTPS ----------------------------------------------


def test_compose_defaults_to_secure_cookies_and_the_https_redirect():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    environment = compose["x-app"]["environment"]
    assert environment["DJANGO_SECURE_SSL_REDIRECT"] == "${DJANGO_SECURE_SSL_REDIRECT:-true}"
    assert environment["DJANGO_SECURE_COOKIES"] == "${DJANGO_SECURE_COOKIES:-true}"
