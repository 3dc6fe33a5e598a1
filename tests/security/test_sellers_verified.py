"""Sellers are who they say they are (issue 14, point 6).

Opening a shop needs a verified email address; a new shop waits for platform staff to
approve it (SHOPS_REQUIRE_APPROVAL, on in production) and its products stay out of the
catalog until then; a shop closed by staff is reopened only by staff.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.services import product_create
from shops.models import Shop
from shops.services import shop_approve, shop_create
from tests.conftest import bearer_client
from tests.factories import StaffFactory, UserFactory, verify_email

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _approval_on(settings):
    settings.SHOPS_REQUIRE_APPROVAL = True


def test_an_unverified_account_cannot_open_a_shop():
    response = bearer_client(UserFactory()).post("/api/v1/shops/", {"name": "Fly by night"})
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert not Shop.objects.exists()


def test_a_new_shop_waits_for_approval_and_its_products_stay_out_of_the_catalog(client):
    seller = verify_email(UserFactory())
    seller_api = bearer_client(seller)
    created = seller_api.post("/api/v1/shops/", {"name": "Kite Corner"})
    assert created.status_code == 201
    assert (created.json()["is_active"], created.json()["status"]) == (False, "pending_approval")
    shop = Shop.objects.get()
    product = product_create(
        user=seller, shop=shop, data={"name": "Stunt kite", "price": "30.00", "stock_quantity": 4}
    )

    # The seller cannot open it themselves.
    response = seller_api.patch(f"/api/v1/shops/{shop.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 403
    # Absent from list, search and detail, for everyone else: API and pages.
    anonymous = bearer_client(verify_email(UserFactory()))
    assert anonymous.get("/api/v1/products/").json()["count"] == 0
    assert anonymous.get("/api/v1/products/search/", {"q": "kite"}).json()["count"] == 0
    assert anonymous.get(f"/api/v1/products/{product.pk}/").status_code == 404
    assert anonymous.get(f"/api/v1/shops/{shop.pk}/").status_code == 404
    assert client.get(reverse("catalog:product_detail", args=[product.slug])).status_code == 404
    assert "Stunt kite" not in client.get(reverse("catalog:product_list")).content.decode()
    # Its own members still see it.
    assert seller_api.get(f"/api/v1/products/{product.pk}/").status_code == 200

    staff = StaffFactory()
    approved = bearer_client(staff).patch(
        f"/api/v1/shops/{shop.pk}/", {"is_active": True}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    shop.refresh_from_db()
    assert shop.approved_at is not None
    assert anonymous.get(f"/api/v1/products/{product.pk}/").status_code == 200


def test_a_shop_closed_by_staff_reopens_only_through_staff():
    owner = verify_email(UserFactory())
    shop = shop_create(owner=owner, data={"name": "Loud Music"})  # opened by an operator
    staff = StaffFactory()
    owner_api = bearer_client(owner)

    assert bearer_client(staff).delete(f"/api/v1/shops/{shop.pk}/").status_code == 204
    response = owner_api.patch(f"/api/v1/shops/{shop.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 403
    shop.refresh_from_db()
    assert not shop.is_active and shop.closed_by_staff

    # An owner who closes their own shop may open it again.
    shop_approve(shop=shop, by=staff)
    assert owner_api.delete(f"/api/v1/shops/{shop.pk}/").status_code == 204
    response = owner_api.patch(f"/api/v1/shops/{shop.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is True


def test_staff_approve_shops_in_the_admin(client):
    owner = verify_email(UserFactory())
    shop = shop_create(owner=owner, data={"name": "Slow Bakes"}, by=owner)
    assert shop.status == "pending_approval"
    client.force_login(StaffFactory())
    changelist = reverse("admin:shops_shop_changelist")
    listed = client.get(changelist, {"approval": "pending"})
    assert [row.pk for row in listed.context["cl"].result_list] == [shop.pk]

    client.post(
        changelist,
        {"action": "activate_shops", "_selected_action": [shop.pk], "index": 0},
    )

    shop.refresh_from_db()
    assert shop.is_active and shop.approved_at is not None


def test_unverified_members_are_not_added_and_do_not_enter_the_admin(client):
    owner = verify_email(UserFactory())
    shop = shop_create(owner=owner, data={"name": "Tea Time"})
    stranger = UserFactory()
    from core.errors import DomainValidationError
    from shops.services import membership_add

    with pytest.raises(DomainValidationError):
        membership_add(shop=shop, email=stranger.email, by=owner)

    # A member whose address is not verified (say, a membership older than the rule).
    from shops.models import ShopMembership

    ShopMembership.objects.create(shop=shop, user=stranger, role="staff")
    client.force_login(stranger)
    assert client.get(reverse("admin:index")).status_code in (302, 403)
    verify_email(stranger)
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_closing_an_owner_closed_shop_keeps_it_closed():
    owner = verify_email(UserFactory())
    shop = shop_create(owner=owner, data={"name": "Night Market"})
    owner_api = bearer_client(owner)
    assert owner_api.delete(f"/api/v1/shops/{shop.pk}/").status_code == 204  # closed by them
    assert bearer_client(StaffFactory()).delete(f"/api/v1/shops/{shop.pk}/").status_code == 204

    response = owner_api.patch(f"/api/v1/shops/{shop.pk}/", {"is_active": True}, format="json")

    assert response.status_code == 403
    shop.refresh_from_db()
    assert shop.closed_by_staff and not shop.is_active


def test_a_member_without_a_verified_address_manages_nothing_anywhere():
    from allauth.account.models import EmailAddress

    from catalog.policies import may_manage_products
    from shops.models import ShopMembership
    from tests.factories import ProductFactory

    shop = shop_create(owner=verify_email(UserFactory()), data={"name": "Old Times"})
    member = UserFactory()
    ShopMembership.objects.create(shop=shop, user=member, role="staff")  # from before the rule
    product = ProductFactory(shop=shop, is_active=False)
    api = bearer_client(member)

    assert not may_manage_products(member, shop)
    assert api.get(f"/api/v1/products/{product.pk}/").status_code == 404
    assert api.patch(
        f"/api/v1/products/{product.pk}/", {"name": "X"}, format="json"
    ).status_code in (403, 404)
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    assert api.get(f"/api/v1/products/{product.pk}/").status_code == 200
