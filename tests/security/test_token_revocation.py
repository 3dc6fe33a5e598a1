"""Tokens die when they should (issue 14, point 3).

Logout ends that session's access token at once (its id is denied in the cache until it
would have expired); a password change or reset, on the API, the pages or by staff in the
admin, ends every token issued before it (simplejwt's CHECK_REVOKE_TOKEN compares a hash
of the password hash with the user row authentication loads anyway); switching an account
off ends them too. None of this costs a query per request.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory, verify_email

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
NEW_PASSWORD = "An0ther-long-pass!"


def signed_in(user) -> tuple[APIClient, str, str]:
    """A client holding the access token of a real login, and the pair of tokens."""
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens["access"], tokens["refresh"]


def refused(client: APIClient) -> bool:
    response = client.get(ME)
    return response.status_code == 401 and response.json()["code"] == "token_invalid"


@pytest.fixture
def person(db):
    return verify_email(UserFactory())


def test_logout_ends_the_access_token_at_once(person):
    client, _access, refresh = signed_in(person)
    other_device, _other_access, _other_refresh = signed_in(person)
    assert client.get(ME).status_code == 200

    assert (
        client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json").status_code == 204
    )

    assert refused(client)
    assert (
        APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code
        == 401
    )
    assert other_device.get(ME).status_code == 200  # another session goes on


def test_a_password_change_ends_every_token(person):
    client, _access, refresh = signed_in(person)
    second, _, _ = signed_in(person)
    response = client.post(
        "/api/v1/auth/change-password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert refused(client) and refused(second)
    assert (
        APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code
        == 401
    )


def test_a_password_reset_ends_every_token(person):
    client, _access, _refresh = signed_in(person)
    person.refresh_from_db()  # signing in moved last_login, which the reset token hashes
    uid, token = services.password_reset_token_make(user=person)
    response = APIClient().post(
        "/api/v1/auth/reset-password/",
        {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert refused(client)


def test_a_password_changed_on_the_pages_ends_api_tokens(client, person):
    api, _access, refresh = signed_in(person)
    client.force_login(person)
    page = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert page.status_code == 302
    assert refused(api)
    assert (
        APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code
        == 401
    )


def test_a_password_set_by_staff_in_the_admin_ends_api_tokens(client, person):
    api, _access, refresh = signed_in(person)
    client.force_login(StaffFactory())
    page = client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert page.status_code == 302, page.content[:500]
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert refused(api)
    # A token made from the refresh token after the change would die as well: refused.
    assert (
        APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code
        == 401
    )


def test_switching_an_account_off_ends_its_tokens(person):
    client, _access, _refresh = signed_in(person)
    services.user_deactivate(user=person, by=None)
    assert refused(client)


def test_checking_revocation_costs_no_query(person):
    """Authenticating a token reads the user's card from the cache with the logout denial
    (one round trip): the password-hash claim is compared with the card. So a request with
    a token costs no query more than the same request already authenticated."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = str(RefreshToken.for_user(person).access_token)
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    forced = APIClient()
    forced.force_authenticate(person)
    counts = []
    for client in (with_token, forced):
        client.get(ME)  # warm whatever is cached per process
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ME).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_cached_user_follows_every_change_of_the_row(person):
    """The card is forgotten whenever the user row is saved, by any path: a change made
    in the admin or a shell ends the token as a service's would."""
    token = str(RefreshToken.for_user(person).access_token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(ME).json()["first_name"] == person.first_name
    person.first_name = "Renamed"
    person.save()
    assert client.get(ME).json()["first_name"] == "Renamed"
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert client.get(ME).status_code == 401
    person.is_active = True
    person.save(update_fields=["is_active"])
    assert client.get(ME).status_code == 200
    person.set_password("another-long-password-1")
    person.save()
    assert client.get(ME).status_code == 401  # issued for the old password
    person.delete()
    assert client.get(ME).status_code == 401
