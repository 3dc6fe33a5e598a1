"""The OpenAPI schema at /api/schema/ and the interactive docs at /api/docs/."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.validation import validate_schema

from config import api_router
from tests.api.conftest import operations

pytestmark = pytest.mark.django_db

# Every address of the API (docs/api.md), as the schema writes it.
CONTRACT = {
    "POST /api/v1/auth/register/",
    "POST /api/v1/auth/login/",
    "POST /api/v1/auth/refresh/",
    "POST /api/v1/auth/logout/",
    "POST /api/v1/auth/forgot-password/",
    "POST /api/v1/auth/reset-password/",
    "POST /api/v1/auth/change-password/",
    "POST /api/v1/auth/verify-email/",
    "GET /api/v1/auth/me/",
    "PATCH /api/v1/auth/me/",
    "DELETE /api/v1/auth/me/",
    "GET /api/v1/users/",
    "GET /api/v1/users/{id}/",
    "PUT /api/v1/users/{id}/",
    "PATCH /api/v1/users/{id}/",
    "DELETE /api/v1/users/{id}/",
    "GET /api/v1/users/{user_id}/orders/",
    "GET /api/v1/addresses/",
    "POST /api/v1/addresses/",
    "GET /api/v1/addresses/{id}/",
    "PUT /api/v1/addresses/{id}/",
    "PATCH /api/v1/addresses/{id}/",
    "DELETE /api/v1/addresses/{id}/",
    "GET /api/v1/shops/",
    "POST /api/v1/shops/",
    "GET /api/v1/shops/{id}/",
    "PUT /api/v1/shops/{id}/",
    "PATCH /api/v1/shops/{id}/",
    "DELETE /api/v1/shops/{id}/",
    "GET /api/v1/categories/",
    "POST /api/v1/categories/",
    "GET /api/v1/categories/{id}/",
    "PUT /api/v1/categories/{id}/",
    "PATCH /api/v1/categories/{id}/",
    "DELETE /api/v1/categories/{id}/",
    "GET /api/v1/tags/",
    "GET /api/v1/products/",
    "POST /api/v1/products/",
    "GET /api/v1/products/search/",
    "GET /api/v1/products/categories/",
    "GET /api/v1/products/{id}/",
    "PUT /api/v1/products/{id}/",
    "PATCH /api/v1/products/{id}/",
    "DELETE /api/v1/products/{id}/",
    "POST /api/v1/products/{id}/upload-image/",
    "GET /api/v1/products/{product_id}/reviews/",
    "POST /api/v1/products/{product_id}/reviews/",
    "PATCH /api/v1/reviews/{id}/",
    "DELETE /api/v1/reviews/{id}/",
    "GET /api/v1/cart/",
    "DELETE /api/v1/cart/",
    "POST /api/v1/cart/add/",
    "PUT /api/v1/cart/{item_id}/",
    "DELETE /api/v1/cart/{item_id}/",
    "POST /api/v1/cart/checkout/",
    "GET /api/v1/orders/",
    "POST /api/v1/orders/",
    "GET /api/v1/orders/{id}/",
    "PUT /api/v1/orders/{id}/status/",
    "DELETE /api/v1/orders/{id}/",
    "POST /api/v1/payments/create/",
    "POST /api/v1/payments/confirm/",
    "GET /api/v1/payments/",
    "GET /api/v1/payments/{id}/",
    "POST /api/v1/payments/refund/",
    "GET /api/v1/payments/methods/",
    "DELETE /api/v1/payments/methods/{id}/",
    "GET /api/v1/reports/sales/",
    "POST /webhooks/stripe/",
    "GET /healthz/",
    "GET /readyz/",
}


def test_the_schema_is_served_as_valid_openapi_3(client, schema):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    as_yaml = yaml.safe_load(response.content)
    assert as_yaml["openapi"].startswith("3.")
    validate_schema(as_yaml)  # raises on anything OpenAPI 3.0 does not allow
    assert as_yaml == schema
    assert client.get("/api/schema").status_code == 200  # no trailing slash, no redirect


def test_generating_the_schema_warns_of_nothing(capsys):
    output = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=output)
    captured = capsys.readouterr()
    assert "Warning" not in captured.err and "Error" not in captured.err, captured.err
    assert output.getvalue().startswith("openapi: 3.")


def test_every_endpoint_of_the_contract_is_described(schema):
    described = {name for name, _ in operations(schema)}
    assert CONTRACT - described == set()


def test_every_api_route_is_in_the_schema(schema):
    """A route added to the API router but left out of the schema fails here."""
    documented = set()
    for path in schema["paths"]:
        sample = re.sub(r"\{[^}]+\}", "1", path)
        if path.startswith("/api/v1/"):
            documented.add(resolve(sample).url_name)
    routes = set()

    def collect(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                collect(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                routes.add(pattern.name)

    collect(api_router.urlpatterns)
    assert routes - documented == set()
    assert get_resolver().resolve("/api/v1/cart/").url_name == "cart"


# Every operation's id: the name of its function in a generated client (issue 24), so a
# change here breaks the mobile and web teams' code and is made on purpose.
OPERATION_IDS = {
    "DELETE /api/v1/addresses/{id}/": "addresses_destroy",
    "DELETE /api/v1/auth/me/": "auth_me_destroy",
    "DELETE /api/v1/cart/": "cart_clear",
    "DELETE /api/v1/cart/voucher/": "cart_voucher_remove",
    "DELETE /api/v1/cart/{item_id}/": "cart_item_remove",
    "DELETE /api/v1/categories/{id}/": "categories_destroy",
    "DELETE /api/v1/orders/{id}/": "orders_cancel",
    "DELETE /api/v1/payments/methods/{id}/": "payments_methods_destroy",
    "DELETE /api/v1/products/{id}/": "products_destroy",
    "DELETE /api/v1/promotions/{id}/": "promotions_destroy",
    "DELETE /api/v1/reviews/{id}/": "reviews_destroy",
    "DELETE /api/v1/shops/{id}/": "shops_destroy",
    "DELETE /api/v1/shops/{shop_id}/shipping-methods/{id}/": "shops_shipping_methods_destroy",
    "DELETE /api/v1/shops/{shop_id}/shipping-zones/{id}/": "shops_shipping_zones_destroy",
    "DELETE /api/v1/users/{id}/": "users_destroy",
    "DELETE /api/v1/variants/{id}/": "variants_destroy",
    "DELETE /api/v1/vouchers/{id}/": "vouchers_destroy",
    "DELETE /api/v1/wishlist/": "wishlist_remove",
    "GET /api/v1/addresses/": "addresses_list",
    "GET /api/v1/addresses/{id}/": "addresses_retrieve",
    "GET /api/v1/auth/me/": "auth_me_retrieve",
    "GET /api/v1/cart/": "cart_retrieve",
    "GET /api/v1/cart/shipping-options/": "cart_shipping_options",
    "GET /api/v1/categories/": "categories_list",
    "GET /api/v1/categories/{id}/": "categories_retrieve",
    "GET /api/v1/invoices/{invoice_id}/pdf/": "invoices_pdf",
    "GET /api/v1/notifications/": "notifications_list",
    "GET /api/v1/orders/": "orders_list",
    "GET /api/v1/orders/{id}/": "orders_retrieve",
    "GET /api/v1/orders/{order_id}/invoices/": "orders_invoices_list",
    "GET /api/v1/payments/": "payments_list",
    "GET /api/v1/payments/methods/": "payments_methods_list",
    "GET /api/v1/payments/providers/": "payments_providers",
    "GET /api/v1/payments/{id}/": "payments_retrieve",
    "GET /api/v1/products/": "products_list",
    "GET /api/v1/products/categories/": "products_categories_list",
    "GET /api/v1/products/facets/": "products_facets",
    "GET /api/v1/products/search/": "products_search",
    "GET /api/v1/products/{id}/": "products_retrieve",
    "GET /api/v1/products/{id}/variants/": "products_variants_list",
    "GET /api/v1/products/{product_id}/recommendations/": "products_recommendations",
    "GET /api/v1/products/{product_id}/reviews/": "products_reviews_list",
    "GET /api/v1/promotions/": "promotions_list",
    "GET /api/v1/promotions/{id}/": "promotions_retrieve",
    "GET /api/v1/reports/sales/": "reports_sales",
    "GET /api/v1/reports/seller-statements/": "reports_seller_statements",
    "GET /api/v1/returns/": "returns_list",
    "GET /api/v1/returns/{id}/": "returns_retrieve",
    "GET /api/v1/reviews/{id}/": "reviews_retrieve",
    "GET /api/v1/shops/": "shops_list",
    "GET /api/v1/shops/{id}/": "shops_retrieve",
    "GET /api/v1/shops/{shop_id}/shipping-methods/": "shops_shipping_methods_list",
    "GET /api/v1/shops/{shop_id}/shipping-methods/{id}/": "shops_shipping_methods_retrieve",
    "GET /api/v1/shops/{shop_id}/shipping-zones/": "shops_shipping_zones_list",
    "GET /api/v1/shops/{shop_id}/shipping-zones/{id}/": "shops_shipping_zones_retrieve",
    "GET /api/v1/tags/": "tags_list",
    "GET /api/v1/users/": "users_list",
    "GET /api/v1/users/{id}/": "users_retrieve",
    "GET /api/v1/users/{user_id}/orders/": "users_orders_list",
    "GET /api/v1/variants/{id}/": "variants_retrieve",
    "GET /api/v1/vouchers/": "vouchers_list",
    "GET /api/v1/vouchers/export/": "vouchers_export",
    "GET /api/v1/vouchers/{id}/": "vouchers_retrieve",
    "GET /api/v1/wishlist/": "wishlist_retrieve",
    "GET /healthz/": "healthz",
    "GET /readyz/": "readyz",
    "PATCH /api/v1/addresses/{id}/": "addresses_partial_update",
    "PATCH /api/v1/auth/me/": "auth_me_partial_update",
    "PATCH /api/v1/categories/{id}/": "categories_partial_update",
    "PATCH /api/v1/products/{id}/": "products_partial_update",
    "PATCH /api/v1/promotions/{id}/": "promotions_partial_update",
    "PATCH /api/v1/reviews/{id}/": "reviews_partial_update",
    "PATCH /api/v1/shops/{id}/": "shops_partial_update",
    "PATCH /api/v1/shops/{shop_id}/shipping-methods/{id}/": "shops_shipping_methods_partial_update",
    "PATCH /api/v1/shops/{shop_id}/shipping-zones/{id}/": "shops_shipping_zones_partial_update",
    "PATCH /api/v1/users/{id}/": "users_partial_update",
    "PATCH /api/v1/variants/{id}/": "variants_partial_update",
    "POST /api/v1/addresses/": "addresses_create",
    "POST /api/v1/auth/change-password/": "auth_change_password",
    "POST /api/v1/auth/forgot-password/": "auth_forgot_password",
    "POST /api/v1/auth/login/": "auth_login",
    "POST /api/v1/auth/logout/": "auth_logout",
    "POST /api/v1/auth/refresh/": "auth_refresh",
    "POST /api/v1/auth/register/": "auth_register",
    "POST /api/v1/auth/reset-password/": "auth_reset_password",
    "POST /api/v1/auth/verify-email/": "auth_verify_email",
    "POST /api/v1/cart/add/": "cart_add",
    "POST /api/v1/cart/checkout/": "cart_checkout",
    "POST /api/v1/cart/token/": "cart_token_create",
    "POST /api/v1/cart/voucher/": "cart_voucher_add",
    "POST /api/v1/categories/": "categories_create",
    "POST /api/v1/notifications/read-all/": "notifications_mark_all_read",
    "POST /api/v1/notifications/{id}/read/": "notifications_mark_read",
    "POST /api/v1/orders/": "orders_create",
    "POST /api/v1/orders/{id}/fulfilments/": "orders_fulfilments_create",
    "POST /api/v1/orders/{order_id}/returns/": "orders_returns_create",
    "POST /api/v1/payments/confirm/": "payments_confirm",
    "POST /api/v1/payments/create/": "payments_create",
    "POST /api/v1/payments/refund/": "payments_refund",
    "POST /api/v1/products/": "products_create",
    "POST /api/v1/products/{id}/upload-image/": "products_upload_image",
    "POST /api/v1/products/{id}/variants/": "products_variants_create",
    "POST /api/v1/products/{product_id}/reviews/": "products_reviews_create",
    "POST /api/v1/promotions/": "promotions_create",
    "POST /api/v1/promotions/{id}/codes/": "promotions_codes_generate",
    "POST /api/v1/returns/{id}/approve/": "returns_approve",
    "POST /api/v1/returns/{id}/receive/": "returns_receive",
    "POST /api/v1/returns/{id}/refuse/": "returns_refuse",
    "POST /api/v1/shops/": "shops_create",
    "POST /api/v1/shops/{shop_id}/shipping-methods/": "shops_shipping_methods_create",
    "POST /api/v1/shops/{shop_id}/shipping-zones/": "shops_shipping_zones_create",
    "POST /api/v1/vouchers/": "vouchers_create",
    "POST /api/v1/wishlist/": "wishlist_add",
    "POST /api/v1/wishlist/move-to-cart/": "wishlist_move_to_cart",
    "POST /webhooks/paypal/": "webhooks_paypal",
    "POST /webhooks/stripe/": "webhooks_stripe",
    "PUT /api/v1/addresses/{id}/": "addresses_update",
    "PUT /api/v1/cart/{item_id}/": "cart_item_update",
    "PUT /api/v1/categories/{id}/": "categories_update",
    "PUT /api/v1/orders/{id}/status/": "orders_status_update",
    "PUT /api/v1/products/{id}/": "products_update",
    "PUT /api/v1/shops/{id}/": "shops_update",
    "PUT /api/v1/shops/{shop_id}/shipping-methods/{id}/": "shops_shipping_methods_update",
    "PUT /api/v1/shops/{shop_id}/shipping-zones/{id}/": "shops_shipping_zones_update",
    "PUT /api/v1/users/{id}/": "users_update",
}


def test_every_operation_has_its_stable_readable_id(schema):
    ids = {name: operation["operationId"] for name, operation in operations(schema)}
    assert ids == OPERATION_IDS
    assert len(set(ids.values())) == len(ids)
    for name, operation_id in ids.items():
        method = name.split()[0]
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id), name
        assert not re.search(r"_\d+$", operation_id), name  # no `_2` for a second guess
        responses = next(op for n, op in operations(schema) if n == name)["responses"]
        if operation_id.endswith("_create"):  # only what makes something new says so
            assert method == "POST" and "201" in responses, name


# Writes that take no input at all (a new guest cart's token, marking read).
NO_INPUT = {
    "POST /api/v1/cart/token/",
    "POST /api/v1/notifications/{id}/read/",
    "POST /api/v1/notifications/read-all/",
}


def test_request_and_response_bodies_are_described(schema):
    for name, operation in operations(schema):
        method = name.split()[0]
        if method in {"POST", "PUT", "PATCH"} and name not in NO_INPUT:
            assert "requestBody" in operation, f"{name} documents no request body"
        successes = {code: r for code, r in operation["responses"].items() if code < "300"}
        assert successes, f"{name} documents no success"
        for code, response in successes.items():
            if code != "204":
                assert "content" in response, f"{name} {code} has no body"
    erase = schema["paths"]["/api/v1/auth/me/"]["delete"]
    assert "requestBody" in erase  # the password
    cancel = schema["paths"]["/api/v1/orders/{id}/"]["delete"]["responses"]
    assert cancel["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Order")
    report = schema["paths"]["/api/v1/reports/sales/"]["get"]["responses"]["200"]
    assert report["content"]["application/json"]["schema"]["$ref"].endswith("/SalesReport")


def test_every_error_is_described_in_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail"]
    assert set(error["properties"]) == {"code", "detail", "fields"}
    for name, operation in operations(schema):
        if not name.split()[1].startswith("/api/v1/"):
            continue
        responses = operation["responses"]
        for code, response in responses.items():
            if code >= "400":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", f"{name} {code}"
                assert response["description"], f"{name} {code} says nothing"
        assert "429" in responses, f"{name}: every operation is throttled"
        assert "Retry-After" in responses["429"]["headers"]
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), name
        if {"jwtAuth": []} in operation.get("security", []):
            assert "401" in responses, name
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            assert "404" in responses, name
    stock = schema["paths"]["/api/v1/cart/add/"]["post"]["responses"]["409"]
    assert "insufficient_stock" in stock["description"]
    declined = schema["paths"]["/api/v1/payments/confirm/"]["post"]["responses"]["402"]
    assert "payment_failed" in declined["description"]


def test_authentication_is_described(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    paths = schema["paths"]
    # Open to anyone: no requirement at all (none is global), so that generated clients
    # do not ask for a token.
    assert "security" not in paths["/api/v1/auth/login/"]["post"]
    assert "security" not in schema
    assert "security" not in paths["/healthz/"]["get"]
    assert {"jwtAuth": []} in paths["/api/v1/orders/"]["get"]["security"]
    assert {} not in paths["/api/v1/orders/"]["get"]["security"]
    assert {} in paths["/api/v1/products/"]["get"]["security"]  # reading needs no sign-in


def test_lists_are_paginated(schema):
    for path in ("/api/v1/products/", "/api/v1/orders/", "/api/v1/users/{user_id}/orders/"):
        operation = schema["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"page", "page_size"} <= names, path
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"count", "next", "previous", "results"}, path
    tree = schema["paths"]["/api/v1/products/categories/"]["get"]["responses"]["200"]
    assert tree["content"]["application/json"]["schema"]["type"] == "array"  # not paginated


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.urls.append(attributes["src"])
            else:
                self._in_script = True
        elif tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])
        elif tag == "style":
            self.inline.append("style")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_the_interactive_docs_load_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert client.get("/api/docs").status_code == 200
    page = _Assets()
    page.feed(response.content.decode())
    assert page.urls and page.inline == []  # no inline script or style: CSP stays strict
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
    assert any("swagger-ui-bundle" in url for url in page.urls)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "https:" not in policy
