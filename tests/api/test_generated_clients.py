"""The API's clients, generated from this checkout's schema as a mobile or web team would
(issue 24; clients/generate.py, `make clients`): openapi-python-client's Python client
generates without a warning and every one of its modules imports; openapi-typescript's
types pass `tsc --strict` with clients/example.ts using them; and the Python client walks a
shopper's journey against a live server. A warning, an import error, a type error or a step
of the journey that fails fails the suite, and so CI.
"""

from __future__ import annotations

import importlib
import re
import sys
from contextlib import ExitStack
from decimal import Decimal

import pytest

from clients import generate
from orders.models import Order, OrderStatus
from tests.accounts.test_api_auth import mail_to, verification_key
from tests.factories import ProductFactory, address_data

# One worker generates once for the whole module (make test runs with --dist loadgroup).
pytestmark = [pytest.mark.clients, pytest.mark.xdist_group("generated-clients")]

PASSWORD = "plum-orchard-47-lantern"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> generate.Generated:
    made = generate.Generated(out=tmp_path_factory.mktemp("clients"))
    made.printed["schema"] = generate.write_schema(made.schema)
    made.printed["python"] = generate.python_client(made.schema, made.python)
    made.printed["typescript"] = generate.typescript_types(made.schema, made.typescript)
    return made


@pytest.fixture
def client_package(generated):
    """The generated package, imported from its folder (and forgotten afterwards)."""
    sys.path.insert(0, str(generated.python))
    try:
        yield importlib.import_module(generate.PYTHON_PACKAGE)
    finally:
        sys.path.remove(str(generated.python))
        for name in [name for name in sys.modules if name.startswith(generate.PYTHON_PACKAGE)]:
            del sys.modules[name]


def test_the_python_client_generates_without_a_warning(generated):
    printed = generated.printed["python"]
    assert printed.startswith("Generating"), printed
    assert not generate.WARNING.search(printed), printed
    api = generated.python / generate.PYTHON_PACKAGE / "api"
    # One module per operation, named by its operationId (stable, no `_create_2` guesses).
    modules = {path.stem for path in api.glob("*/*.py") if path.stem != "__init__"}
    assert {"auth_login", "cart_checkout", "payments_create", "orders_cancel"} <= modules
    assert not [name for name in modules if re.search(r"_\d+$|_create_create", name)]


def test_every_module_of_the_python_client_imports(generated):
    assert generate.import_every_module(generated.python) > 300


def test_a_generator_warning_fails_the_generation(tmp_path):
    """What the issue saw: an operation the generator cannot read fully is left out with a
    warning, which fails the run instead of passing unnoticed."""
    schema = tmp_path / "openapi.yaml"
    schema.write_text(
        "openapi: 3.0.3\n"
        "info: {title: Broken, version: '1'}\n"
        "paths:\n"
        "  /report/:\n"
        "    get:\n"
        "      operationId: report\n"
        "      responses:\n"
        "        '200':\n"
        "          description: A spreadsheet\n"
        "          content: {application/vnd.ms-excel: {schema: {type: string}}}\n"
    )
    with pytest.raises(generate.GenerationFailed) as failed:
        generate.python_client(schema, tmp_path / "python")
    assert "Unsupported content_type application/vnd.ms-excel" in str(failed.value)


def test_the_python_generator_alone_is_told_the_login_body_is_optional(generated):
    """openapi-python-client 0.29 writes a module that does not import for a required body
    in two content types (its issue #1451); the schema served says required."""
    import yaml

    login = "/api/v1/auth/login/"
    served = yaml.safe_load(generated.schema.read_text())["paths"][login]["post"]
    given = generated.schema.with_name("openapi.python.yaml")
    told = yaml.safe_load(given.read_text())["paths"][login]["post"]
    assert served["requestBody"]["required"] is True
    assert told["requestBody"]["required"] is False
    assert told["requestBody"]["content"] == served["requestBody"]["content"]
    module = (generated.python / generate.PYTHON_PACKAGE / "api/auth/auth_login.py").read_text()
    assert "body: LoginRequest | LoginFormRequest | Unset = UNSET" in module


def test_the_typescript_types_pass_tsc_strict(generated):
    printed = generated.printed["typescript"]
    assert "openapi-typescript" in printed and not generate.WARNING.search(printed), printed
    types = generated.typescript.read_text()
    # Components, enums and pages come out as named types.
    for name in ("Product", "Order", "Error", "OrderStatusEnum", "PaginatedProductList"):
        assert f"export type {name} = components['schemas']['{name}'];" in types
    assert generate.typescript_check(generated.out, generated.typescript) == ""


def test_a_type_error_fails_the_typescript_check(generated, tmp_path):
    wrong = tmp_path / "wrong.ts"
    wrong.write_text(
        'import type { Order } from "shop-api";\n'
        'export const status: Order["status"] = "lost_in_the_post";\n'
    )
    with pytest.raises(generate.GenerationFailed, match="TS2322"):
        generate.typescript_check(tmp_path, generated.typescript, uses=wrong)


@pytest.mark.django_db(transaction=True)
def test_a_shopper_journey_with_the_generated_python_client(client_package, live_server, request):
    """List and search products, register, verify, sign in, add to the cart, check out,
    pay with the dummy provider and read the order: every call through the generated
    client, its models in and out."""
    from shop_api_client import AuthenticatedClient, Client
    from shop_api_client.api.auth import auth_login, auth_register, auth_verify_email
    from shop_api_client.api.cart import cart_add, cart_checkout
    from shop_api_client.api.orders import orders_retrieve
    from shop_api_client.api.payments import payments_confirm, payments_create
    from shop_api_client.api.products import products_list, products_search
    from shop_api_client.models import (
        CartAddRequest,
        CheckoutRequest,
        CountryEnum,
        Error,
        LoginRequest,
        OrderingEnum,
        OrderStatusEnum,
        PaymentConfirmRequest,
        PaymentCreateRequest,
        PaymentStatusEnum,
        PostalAddressRequest,
        RegisterRequest,
        VerifyEmailRequest,
    )

    lamp = ProductFactory(name="Brass desk lamp", price="45.00", stock_quantity=5)
    ProductFactory(name="Linen tea towel", price="9.00", stock_quantity=5)
    # Each client's connections are closed at the end: the live server's thread would
    # hold its database connection for a kept-alive one.
    clients = ExitStack()
    request.addfinalizer(clients.close)
    anyone = clients.enter_context(
        Client(base_url=live_server.url, raise_on_unexpected_status=True)
    )

    listed = products_list.sync(client=anyone, page_size=10, ordering=OrderingEnum.NAME)
    assert listed.count == 2
    assert [product.name for product in listed.results] == ["Brass desk lamp", "Linen tea towel"]
    found = products_search.sync(client=anyone, q="lamp")
    assert [product.id for product in found.results] == [lamp.pk]

    accepted = auth_register.sync(
        client=anyone, body=RegisterRequest(email="mobile@example.com", password=PASSWORD)
    )
    assert accepted.email == "mobile@example.com"
    key = verification_key(mail_to("mobile@example.com", "Confirm your email"))
    verified = auth_verify_email.sync_detailed(client=anyone, body=VerifyEmailRequest(key=key))
    assert verified.status_code == 204

    refused = auth_login.sync(
        client=anyone, body=LoginRequest(email="mobile@example.com", password="wrong-password")
    )
    assert isinstance(refused, Error) and refused.code == "invalid_credentials"
    tokens = auth_login.sync(
        client=anyone, body=LoginRequest(email="mobile@example.com", password=PASSWORD)
    )
    assert tokens.user.email == "mobile@example.com"
    shopper = clients.enter_context(
        AuthenticatedClient(
            base_url=live_server.url, token=tokens.access, raise_on_unexpected_status=True
        )
    )

    too_many = cart_add.sync(client=shopper, body=CartAddRequest(product_id=lamp.pk, quantity=9))
    assert isinstance(too_many, Error) and too_many.code == "insufficient_stock"
    cart = cart_add.sync(client=shopper, body=CartAddRequest(product_id=lamp.pk, quantity=2))
    assert [(line.product.id, line.quantity) for line in cart.items] == [(lamp.pk, 2)]

    address = address_data()
    order = cart_checkout.sync(
        client=shopper,
        body=CheckoutRequest(
            shipping_address=PostalAddressRequest(
                **{**address, "country": CountryEnum(address["country"])}
            )
        ),
    )
    assert order.status == OrderStatusEnum.PENDING
    assert order.shipping_address.city == "London"
    assert [(line.product_id, line.quantity) for line in order.lines] == [(lamp.pk, 2)]

    payment = payments_create.sync(client=shopper, body=PaymentCreateRequest(order_id=order.id))
    assert payment.provider == "dummy" and Decimal(payment.amount) == Decimal(order.total)
    paid = payments_confirm.sync(
        client=shopper,
        body=PaymentConfirmRequest(payment_id=payment.id, payment_method="pm_card_visa"),
    )
    assert paid.status == PaymentStatusEnum.SUCCEEDED

    read = orders_retrieve.sync(client=shopper, id=order.id)
    assert read.status == OrderStatusEnum.PAID and read.number == order.number
    assert Order.objects.get(pk=order.id).status == OrderStatus.PAID


@pytest.mark.django_db(transaction=True)
def test_a_deployed_sites_schema_is_the_checkouts(generated, live_server, tmp_path):
    """`--schema-url` generates from a running site's schema: the same document."""
    import yaml

    fetched = tmp_path / "openapi.yaml"
    generate.fetch_schema(f"{live_server.url}/api/schema/", fetched)
    assert yaml.safe_load(fetched.read_text()) == yaml.safe_load(generated.schema.read_text())
    with pytest.raises(generate.GenerationFailed, match="could not be read"):
        generate.fetch_schema(f"{live_server.url}/api/no-schema-here/", tmp_path / "x.yaml")
