"""auth/me: read, update (preferences merged key by key), erase."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Address, User
from accounts.roles import register_role_provider, user_roles
from tests.conftest import bearer_client
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_me_needs_a_signed_in_user(api_client):
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_reads_the_own_profile(verified_user):
    body = bearer_client(verified_user).get("/api/v1/auth/me").json()
    assert body["id"] == verified_user.id
    assert body["email"] == verified_user.email
    assert body["email_verified"] is True
    assert body["roles"] == ["customer"]
    assert body["date_joined"].endswith(("Z", "+00:00"))


def test_staff_have_the_staff_role(staff_user):
    assert bearer_client(staff_user).get("/api/v1/auth/me/").json()["roles"] == [
        "customer",
        "staff",
    ]


def test_roles_from_registered_providers_are_listed_in_a_stable_order(user):
    def shop_roles(person):
        return ["shop_staff", "shop_owner"] if person.pk == user.pk else []

    shop_roles.annotate = lambda queryset: queryset

    register_role_provider(shop_roles)
    try:
        assert user_roles(user) == ["customer", "shop_owner", "shop_staff"]
        assert user_roles(UserFactory()) == ["customer"]
    finally:
        from accounts import roles

        roles._providers.remove(shop_roles)


def test_patch_changes_names_and_merges_preferences_key_by_key(user):
    client = bearer_client(user)
    response = client.patch(
        "/api/v1/auth/me/",
        {"first_name": " Ada ", "preferences": {"marketing_emails": True}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada"
    assert response.json()["preferences"] == {"marketing_emails": True, "order_updates": True}

    response = client.patch(
        "/api/v1/auth/me/", {"preferences": {"order_updates": False}}, format="json"
    )
    assert response.json()["preferences"] == {"marketing_emails": True, "order_updates": False}
    user.refresh_from_db()
    assert user.marketing_emails is True and user.order_updates is False


def test_email_is_read_only_on_me(user):
    original = user.email
    response = bearer_client(user).patch(
        "/api/v1/auth/me/", {"email": "new@example.com"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email"] == original


def test_a_non_boolean_preference_is_a_validation_error(user):
    response = bearer_client(user).patch(
        "/api/v1/auth/me/", {"preferences": {"order_updates": "sometimes"}}, format="json"
    )
    assert response.status_code == 400
    assert "preferences.order_updates" in response.json()["fields"]


def test_delete_me_with_the_wrong_password_changes_nothing(user):
    response = bearer_client(user).delete("/api/v1/auth/me/", {"password": "nope"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    user.refresh_from_db()
    assert user.is_active


def test_delete_me_erases_personal_data_and_disables_login(api_client, verified_user):
    user = verified_user
    Address.objects.create(
        user=user, full_name="Ada", line1="1 Road", city="London", country="GB", is_default=True
    )
    refresh = str(RefreshToken.for_user(user))
    email = user.email

    response = bearer_client(user).delete(
        "/api/v1/auth/me/", {"password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 204

    user.refresh_from_db()
    assert user.email == f"erased-{user.pk}@erased.invalid"
    assert user.first_name == user.last_name == ""
    assert not user.is_active and not user.has_usable_password()
    assert user.erased_at is not None
    assert not Address.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert User.objects.filter(pk=user.pk).exists()  # orders keep pointing at the row

    login = api_client.post(
        "/api/v1/auth/login/", {"email": email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert login.status_code == 401
    assert (
        api_client.post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code
        == 401
    )
    # The address is free again.
    again = api_client.post(
        "/api/v1/auth/register/",
        {"email": email, "password": "plum-orchard-47-lantern"},
        format="json",
    )
    assert again.status_code == 201
