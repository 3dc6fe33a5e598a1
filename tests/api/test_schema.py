"""The OpenAPI schema at /api/schema/ and the interactive docs at /api/docs/."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.validation import validate_schema

from config import api_router

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
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


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
    assert paths["/api/v1/auth/login/"]["post"]["security"] == [{}]
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
