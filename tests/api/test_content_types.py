"""A JSON API takes JSON (issue 24): each view parses the content types its schema lists and
no other, and any other answers 415 `unsupported_media_type` in the error shape with nothing
written. Login also takes a form (the contract); image uploads take multipart only
(tests/catalog/test_api_images.py)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from django.urls import resolve

from accounts.models import Address
from tests.api.conftest import operations
from tests.conftest import bearer_client
from tests.factories import DEFAULT_PASSWORD, ProductFactory, UserFactory, address_data

pytestmark = pytest.mark.django_db

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def parsed_media_types(path: str, method: str) -> list[str]:
    """The content types the view at `path` parses for `method`, as the server decides."""
    view = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
    parsers = view.initkwargs.get("parser_classes", view.cls.parser_classes)
    if hasattr(view, "actions"):  # a viewset: the action's own parsers, if it names them
        action = getattr(view.cls, view.actions[method.lower()])
        parsers = getattr(action, "kwargs", {}).get("parser_classes", parsers)
    return [parser.media_type for parser in parsers]


def test_the_schema_lists_what_each_view_parses_and_json_alone_by_default(schema):
    bodies = {}
    for name, operation in operations(schema):
        method, path = name.split(" ", 1)
        if path.startswith("/api/v1/") and "requestBody" in operation:
            listed = list(operation["requestBody"]["content"])
            assert listed == parsed_media_types(path, method), name
            bodies[operation["operationId"]] = listed
    assert len(bodies) > 50
    others = {name: types for name, types in bodies.items() if types != [JSON]}
    assert others == {"auth_login": [JSON, FORM], "products_upload_image": [MULTIPART]}


def assert_415(response, content_type: str) -> None:
    assert response.status_code == 415, response.content
    body = response.json()
    assert body["code"] == "unsupported_media_type"
    assert content_type in body["detail"]


@pytest.mark.parametrize("content_type", [FORM, MULTIPART])
def test_a_form_to_a_json_endpoint_answers_415_and_writes_nothing(api_client, content_type):
    data = {"email": "new@example.com", "password": "plum-orchard-47-lantern"}
    if content_type == FORM:
        response = api_client.generic("POST", "/api/v1/auth/register/", urlencode(data), FORM)
    else:
        response = api_client.post("/api/v1/auth/register/", data, format="multipart")
    assert_415(response, content_type)

    user = UserFactory()
    client = bearer_client(user)
    if content_type == FORM:
        response = client.generic("POST", "/api/v1/addresses/", urlencode(address_data()), FORM)
    else:
        response = client.post("/api/v1/addresses/", address_data(), format="multipart")
    assert_415(response, content_type)
    assert not Address.objects.filter(user=user).exists()

    product = ProductFactory(stock_quantity=5)
    response = client.generic(
        "POST", "/api/v1/cart/add/", f"product_id={product.pk}&quantity=1", FORM
    )
    assert_415(response, FORM)
    assert client.get("/api/v1/cart/").json()["items"] == []


def test_plain_text_and_xml_are_refused_too(api_client):
    for content_type in ("text/plain", "application/xml"):
        response = api_client.generic(
            "POST", "/api/v1/auth/forgot-password/", '{"email": "a@example.com"}', content_type
        )
        assert_415(response, content_type)


def test_login_takes_json_or_a_form_but_not_multipart(api_client):
    user = UserFactory()
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}
    assert api_client.post("/api/v1/auth/login/", credentials).status_code == 200  # JSON
    form = api_client.generic("POST", "/api/v1/auth/login/", urlencode(credentials), FORM)
    assert form.status_code == 200 and form.json()["access"]
    multipart = api_client.post("/api/v1/auth/login/", credentials, format="multipart")
    assert_415(multipart, MULTIPART)


def test_an_accept_header_no_renderer_answers_gets_406_and_every_operation_says_so(schema):
    """What the fuzzing found: `Accept: rm` on a cart line's PUT answered 406, which the
    schema did not list. Any operation answers it, in the error shape, and changes
    nothing."""
    user = UserFactory()
    client = bearer_client(user)
    product = ProductFactory(stock_quantity=5)
    for method, path, body in [
        ("GET", "/api/v1/products/", None),
        ("POST", "/api/v1/cart/add/", {"product_id": product.pk, "quantity": 1}),
    ]:
        response = client.generic(
            method, path, "" if body is None else json.dumps(body), "application/json",
            HTTP_ACCEPT="application/rm",
        )  # fmt: skip
        assert response.status_code == 406, path
        assert response.json()["code"] == "not_acceptable"
    assert client.get("/api/v1/cart/").json()["items"] == []
    # The API's operations; the probes and webhooks are plain views that answer JSON to all.
    for name, operation in operations(schema):
        assert ("406" in operation["responses"]) == (" /api/" in name), name
