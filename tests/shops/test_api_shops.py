"""shops/: anyone reads active shops; signed-in people open shops; owners and staff
change and deactivate them."""

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from shops.models import Shop, ShopMembership
from tests.conftest import bearer_client
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

SHOP_FIELDS = {
    "id",
    "name",
    "slug",
    "description",
    "address",
    "email",
    "phone",
    "is_active",
    "status",
    "created_at",
    "updated_at",
}


@pytest.fixture
def shop(db):
    return ShopFactory(name="Tea House", slug="tea-house")


@pytest.fixture
def owner(shop):
    return MembershipFactory(shop=shop, role="owner").user


@pytest.fixture
def clerk(shop):
    return MembershipFactory(shop=shop, role="staff").user


@pytest.fixture
def closed_shop(db):
    return ShopFactory(name="Closed Corner", slug="closed-corner", is_active=False)


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_anyone_lists_active_shops_paginated(api_client, shop, closed_shop):
    ShopFactory(name="Apple Barn")
    response = api_client.get("/api/v1/shops/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert names(response) == ["Apple Barn", "Tea House"]  # by name
    assert set(body["results"][0]) == SHOP_FIELDS
    assert api_client.get("/api/v1/shops").json()["count"] == 2  # no trailing slash


def test_members_and_staff_also_list_their_inactive_shops(shop, closed_shop, staff_user):
    member = MembershipFactory(shop=closed_shop, role="staff").user
    assert names(bearer_client(member).get("/api/v1/shops/")) == ["Closed Corner", "Tea House"]
    assert names(bearer_client(staff_user).get("/api/v1/shops/")) == [
        "Closed Corner",
        "Tea House",
    ]
    assert names(bearer_client(UserFactory()).get("/api/v1/shops/")) == ["Tea House"]


def test_retrieve_a_shop(api_client, shop):
    response = api_client.get(f"/api/v1/shops/{shop.id}")
    assert response.status_code == 200
    assert response.json()["slug"] == "tea-house"
    assert api_client.get("/api/v1/shops/999999/").json()["code"] == "not_found"


def test_an_inactive_shop_is_404_except_for_members_and_staff(api_client, closed_shop, staff_user):
    url = f"/api/v1/shops/{closed_shop.id}/"
    member = MembershipFactory(shop=closed_shop, role="staff").user
    for client in (api_client, bearer_client(UserFactory())):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": response.json()["detail"]}
    assert bearer_client(member).get(url).json()["is_active"] is False
    assert bearer_client(staff_user).get(url).status_code == 200


def test_a_signed_in_user_opens_a_shop_and_owns_it(user, user_client, settings):
    # Where new shops need no approval (the quickstart); with approval, and unverified
    # sellers: tests/security/test_sellers_verified.py.
    settings.SHOPS_REQUIRE_APPROVAL = False
    verify_email(user)
    response = user_client.post("/api/v1/shops", {"name": "  Tea House "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SHOP_FIELDS
    assert body["name"] == "Tea House"
    assert body["slug"] == "tea-house"
    assert body["is_active"] is True
    membership = ShopMembership.objects.get(shop_id=body["id"])
    assert (membership.user, membership.role) == (user, "owner")
    # A second shop of the same person, with every field.
    second = user_client.post(
        "/api/v1/shops/",
        {
            "name": "Tea House",
            "description": "Leaves",
            "address": "1 Leaf Lane\nLeeds",
            "email": "tea@example.com",
            "phone": "+44 113 000 0000",
        },
        format="json",
    ).json()
    assert second["slug"] == "tea-house-2"
    assert second["address"] == "1 Leaf Lane\nLeeds"
    assert ShopMembership.objects.filter(user=user, role="owner").count() == 2


def test_opening_a_shop_needs_a_sign_in_and_a_name(api_client, user_client):
    response = api_client.post("/api/v1/shops/", {"name": "X"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    for payload, field in (
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "A", "email": "x"}, "email"),
    ):
        response = user_client.post("/api/v1/shops/", payload, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert list(body["fields"]) == [field]
    assert not Shop.objects.exists()


def test_the_owner_and_platform_staff_update_a_shop(shop, owner, staff_user):
    url = f"/api/v1/shops/{shop.id}/"
    response = bearer_client(owner).patch(url, {"description": "Fine teas"}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "Fine teas"
    assert response.json()["name"] == "Tea House"

    response = bearer_client(staff_user).put(
        url.rstrip("/"), {"name": "Tea Palace", "phone": "123"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["phone"]) == ("Tea Palace", "123")
    assert response.json()["description"] == "Fine teas"  # PUT leaves omitted fields alone
    assert response.json()["slug"] == "tea-house"  # the slug stays: links keep working


def test_put_needs_the_name(shop, owner):
    response = bearer_client(owner).put(f"/api/v1/shops/{shop.id}/", {}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["fields"]


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_shop_staff_members_and_others_may_not_change_a_shop(shop, clerk, method):
    for person in (clerk, UserFactory()):
        response = getattr(bearer_client(person), method)(
            f"/api/v1/shops/{shop.id}/", {"name": "Mine now"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    response = getattr(APIClient(), method)(
        f"/api/v1/shops/{shop.id}/", {"name": "Mine now"}, format="json"
    )
    assert response.status_code == 401
    shop.refresh_from_db()
    assert (shop.name, shop.is_active) == ("Tea House", True)


def test_changing_a_shop_one_cannot_see_is_404(closed_shop):
    response = bearer_client(UserFactory()).patch(
        f"/api/v1/shops/{closed_shop.id}/", {"name": "X"}, format="json"
    )
    assert response.status_code == 404


def test_delete_deactivates_and_the_catalog_forgets_the_shop(api_client, shop, owner):
    product = ProductFactory(shop=shop)
    response = bearer_client(owner).delete(f"/api/v1/shops/{shop.id}")
    assert response.status_code == 204
    assert response.content == b""
    shop.refresh_from_db()
    assert shop.is_active is False
    assert Product.objects.filter(pk=product.pk).exists()  # kept, only hidden
    assert api_client.get("/api/v1/shops/").json()["count"] == 0
    assert api_client.get(f"/api/v1/shops/{shop.id}/").status_code == 404
    assert api_client.get(f"/api/v1/products/{product.id}/").status_code == 404
    # Its owner still sees it, and may open it again.
    client = bearer_client(owner)
    assert client.get(f"/api/v1/shops/{shop.id}/").json()["is_active"] is False
    reopened = client.patch(f"/api/v1/shops/{shop.id}/", {"is_active": True}, format="json")
    assert reopened.json()["is_active"] is True
    assert api_client.get(f"/api/v1/products/{product.id}/").status_code == 200


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_shop_list_costs_the_same_queries_whatever_the_page_size(
    page_size, django_assert_max_num_queries
):
    member = UserFactory()
    for shop in ShopFactory.create_batch(50):
        MembershipFactory(shop=shop, user=member, role="staff")
    ShopFactory.create_batch(3, is_active=False)
    client = bearer_client(member)
    with django_assert_max_num_queries(3):  # the caller, the count, the page
        body = client.get("/api/v1/shops/", {"page_size": page_size}).json()
    assert len(body["results"]) == page_size
    assert body["count"] == 50
