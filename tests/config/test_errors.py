"""Every JSON error answers {"code", "detail"} (+ "fields" for validation errors)."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.urls_errors")]


def test_unknown_api_address_is_json_404_not_html(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_unknown_api_address_outside_v1_is_json_404(client):
    response = client.post("/api/v2/orders", data={})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


def test_validation_errors_list_fields_with_dotted_keys(api_client):
    response = api_client.post(
        "/api/test/validate/",
        {"quantity": 0, "shipping_address": {"country": "USA"}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {
        "quantity",
        "shipping_address.city",
        "shipping_address.country",
    }
    assert body["fields"]["shipping_address.city"] == ["This field is required."]
    assert body["detail"]


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.post(
        "/api/test/validate/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_domain_errors_keep_their_code_status_and_extra_keys(api_client):
    response = api_client.get("/api/test/domain-error/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "insufficient_stock",
        "detail": "Not enough stock.",
        "product_id": 7,
        "available": 2,
    }


def test_not_signed_in_is_401_not_authenticated(api_client):
    response = api_client.get("/api/test/private/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_bearer_token_is_401_token_invalid(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    response = api_client.get("/api/test/private/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_wrong_method_is_405_in_the_error_shape(api_client):
    response = api_client.delete("/api/test/domain-error/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_throttled_is_429_with_retry_after(api_client):
    cache.clear()
    assert api_client.get("/api/test/throttled/").status_code == 200
    response = api_client.get("/api/test/throttled/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_session_write_without_csrf_token_is_403_csrf_failed():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post("/api/test/private-write/", data={})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_a_crash_is_json_500_without_internals():
    client = Client(raise_request_exception=False)
    response = client.get("/api/test/crash/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side. Please try again.",
    }
    assert b"hunter2" not in response.content


def test_pagination_caps_page_size_at_100(api_client):
    UserFactory.create_batch(3)
    response = api_client.get("/api/test/users/", {"page_size": 2})
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert "page=2" in body["next"]
    assert body["previous"] is None

    response = api_client.get("/api/test/users/", {"page_size": 500})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_a_page_past_the_end_is_404_not_found(api_client):
    response = api_client.get("/api/test/users/", {"page": 99})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
