"""users/: staff manage users."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.conftest import bearer_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_customers_may_not_manage_users(user_client, user):
    assert user_client.get("/api/v1/users/").status_code == 403
    assert user_client.get("/api/v1/users/").json()["code"] == "permission_denied"
    assert (
        user_client.patch(
            f"/api/v1/users/{user.id}/", {"is_staff": True}, format="json"
        ).status_code
        == 403
    )
    user.refresh_from_db()
    assert not user.is_staff


def test_anonymous_is_401(api_client):
    assert api_client.get("/api/v1/users/").status_code == 401


def test_staff_list_users_with_filters_and_search(staff_client, django_assert_max_num_queries):
    verified = UserFactory(email="verified@example.com")
    EmailAddress.objects.create(user=verified, email=verified.email, verified=True, primary=True)
    UserFactory(email="inactive@example.com", is_active=False)
    UserFactory.create_batch(5)

    # The caller, their Django permissions, the count and the page.
    with django_assert_max_num_queries(5):
        body = staff_client.get("/api/v1/users/", {"page_size": 50}).json()
    assert body["count"] == 8  # 7 + the staff member
    assert {"is_active", "is_staff", "email_verified", "roles"} <= set(body["results"][0])

    emails = lambda response: [row["email"] for row in response.json()["results"]]  # noqa: E731
    assert emails(staff_client.get("/api/v1/users/", {"email_verified": "true"})) == [
        "verified@example.com"
    ]
    assert emails(staff_client.get("/api/v1/users/", {"is_active": "false"})) == [
        "inactive@example.com"
    ]
    assert emails(staff_client.get("/api/v1/users/", {"q": "VERIFIED@"})) == [
        "verified@example.com"
    ]


def test_user_list_queries_do_not_grow_with_the_page(staff_client, django_assert_max_num_queries):
    UserFactory.create_batch(30)
    with django_assert_max_num_queries(5):  # the caller's Django permissions are one
        assert len(staff_client.get("/api/v1/users/", {"page_size": 1}).json()["results"]) == 1
    with django_assert_max_num_queries(5):
        assert len(staff_client.get("/api/v1/users/", {"page_size": 30}).json()["results"]) == 30


def test_staff_update_and_deactivate_a_user(staff_client):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))

    response = staff_client.patch(
        f"/api/v1/users/{user.id}", {"first_name": "Grace"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace"

    # Granting staff rights is a superuser's (tests/security/test_staff_permissions.py).
    superuser = bearer_client(UserFactory(is_staff=True, is_superuser=True))
    response = superuser.put(
        f"/api/v1/users/{user.id}/",
        {"first_name": "G", "last_name": "H", "is_active": True, "is_staff": True},
        format="json",
    )
    assert response.json()["is_staff"] is True

    # Now a staff account: only a superuser switches it off.
    assert staff_client.delete(f"/api/v1/users/{user.id}/").status_code == 403
    response = superuser.delete(f"/api/v1/users/{user.id}/")
    assert response.status_code == 204
    user.refresh_from_db()
    assert not user.is_active
    assert BlacklistedToken.objects.filter(token__token=refresh).exists()
    assert bearer_client(user).get("/api/v1/auth/me/").status_code == 401


def test_unknown_user_is_404(staff_client):
    response = staff_client.get("/api/v1/users/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
