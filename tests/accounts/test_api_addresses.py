"""addresses/: the caller's own address book."""

import pytest

from accounts.models import Address
from tests.conftest import bearer_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "+44 20 7946 0000",
}


def test_address_book_crud(user_client):
    created = user_client.post("/api/v1/addresses/", HOME, format="json")
    assert created.status_code == 201
    first = created.json()
    assert first["is_default"] is True  # the first address becomes the default
    assert first["country"] == "GB"

    second = user_client.post(
        "/api/v1/addresses", {**HOME, "line1": "1 Other Road", "is_default": True}, format="json"
    ).json()
    assert second["is_default"] is True
    listing = user_client.get("/api/v1/addresses/").json()
    assert listing["count"] == 2
    assert [row["id"] for row in listing["results"]] == [second["id"], first["id"]]
    assert user_client.get(f"/api/v1/addresses/{first['id']}/").json()["is_default"] is False

    patched = user_client.patch(
        f"/api/v1/addresses/{first['id']}/", {"city": "Bath"}, format="json"
    )
    assert patched.json()["city"] == "Bath"
    put = user_client.put(
        f"/api/v1/addresses/{first['id']}/", {**HOME, "city": "York"}, format="json"
    )
    assert put.status_code == 200 and put.json()["city"] == "York"

    assert user_client.delete(f"/api/v1/addresses/{second['id']}/").status_code == 204
    # The default went away: the remaining address takes over.
    assert user_client.get(f"/api/v1/addresses/{first['id']}/").json()["is_default"] is True


def test_an_unknown_country_is_a_validation_error(user_client):
    response = user_client.post("/api/v1/addresses/", {**HOME, "country": "XX"}, format="json")
    assert response.status_code == 400
    assert "country" in response.json()["fields"]


def test_missing_required_fields_are_listed(user_client):
    response = user_client.post("/api/v1/addresses/", {"full_name": "A"}, format="json")
    assert response.status_code == 400
    assert {"line1", "city", "country"} <= set(response.json()["fields"])
    assert not Address.objects.exists()


def test_unsetting_the_only_default_is_refused(user_client):
    address = user_client.post("/api/v1/addresses/", HOME, format="json").json()
    response = user_client.patch(
        f"/api/v1/addresses/{address['id']}/", {"is_default": False}, format="json"
    )
    assert response.status_code == 400
    assert "is_default" in response.json()["fields"]


def test_another_users_address_is_404_for_every_method(user_client):
    other = UserFactory()
    theirs = Address.objects.create(user=other, full_name="B", line1="x", city="y", country="FR")
    for method in ("get", "patch", "put", "delete"):
        response = getattr(user_client, method)(
            f"/api/v1/addresses/{theirs.id}/", HOME, format="json"
        )
        assert response.status_code == 404, method
        assert response.json()["code"] == "not_found"
    assert user_client.get("/api/v1/addresses/").json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.city == "y"


def test_address_book_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/v1/addresses/").status_code == 401


def test_only_one_default_per_user_even_with_many_writes():
    user = UserFactory()
    client = bearer_client(user)
    for index in range(5):
        client.post(
            "/api/v1/addresses/",
            {**HOME, "line1": f"{index} Road", "is_default": True},
            format="json",
        )
    assert Address.objects.filter(user=user, is_default=True).count() == 1
