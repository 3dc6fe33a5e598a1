"""auth/ endpoints: register, login, refresh, logout, passwords, email verification."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from tests.conftest import bearer_client
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-47-lantern"


def register(api_client, capture, **data):
    body = {"email": "ada@example.com", "password": STRONG, **data}
    with capture(execute=True):
        return api_client.post("/api/v1/auth/register/", body, format="json")


def mail_to(address: str, subject_part: str):
    found = [m for m in mail.outbox if address in m.to and subject_part in m.subject]
    assert found, f"no mail to {address} about {subject_part!r}: {[m.subject for m in mail.outbox]}"
    return found[-1]


def verification_key(message) -> str:
    return re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body).group(1)


# --- register --------------------------------------------------------------------------


def test_register_answers_201_and_sends_verification_and_welcome(
    api_client, django_capture_on_commit_callbacks
):
    response = register(
        api_client, django_capture_on_commit_callbacks, first_name="Ada", last_name="Lovelace"
    )
    assert response.status_code == 201
    body = response.json()
    # The same answer whether or not the address had an account (tests/security).
    assert set(body) == {"email", "detail"}
    assert body["email"] == "ada@example.com"
    assert "access" not in body
    user = User.objects.get(email="ada@example.com")
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")

    verification = mail_to("ada@example.com", "Confirm your email")
    assert "/accounts/confirm-email/" in verification.body
    assert verification.alternatives and verification.alternatives[0][1] == "text/html"
    welcome = mail_to("ada@example.com", "Welcome")
    assert welcome.alternatives[0][1] == "text/html"
    assert EmailAddress.objects.get(email="ada@example.com").verified is False


def test_register_works_without_trailing_slash(api_client):
    response = api_client.post(
        "/api/v1/auth/register", {"email": "b@example.com", "password": STRONG}, format="json"
    )
    assert response.status_code == 201


def test_register_makes_no_second_account_for_an_address_whatever_its_case(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory(email="ada@example.com")
    response = register(api_client, django_capture_on_commit_callbacks, email="ADA@Example.com")
    assert response.status_code == 201  # as for a new address: nothing is revealed
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1", "too short"), ("password123", "too common"), ("84937261534", "entirely numeric")],
)
def test_register_rejects_a_weak_password_with_djangos_validators(api_client, password, reason):
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "c@example.com", "password": password}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert any(reason in message for message in body["fields"]["password"])
    assert not User.objects.filter(email="c@example.com").exists()


def test_register_rejects_a_malformed_email(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "not-an-email", "password": STRONG}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()["fields"]


# --- login -----------------------------------------------------------------------------


def test_login_with_json_answers_tokens_and_the_user(api_client, user):
    response = api_client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == user.id

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get("/api/v1/auth/me/").json()["email"] == user.email


def test_login_takes_form_encoded_credentials(api_client, user):
    response = api_client.generic(
        "POST",
        "/api/v1/auth/login/",
        f"email={user.email}&password={DEFAULT_PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json()["refresh"]


def test_unverified_users_may_sign_in(api_client, user):
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    response = api_client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is False


@pytest.mark.parametrize(
    ("email", "password"),
    [("user@example.com", "wrong-password"), ("nobody@example.com", DEFAULT_PASSWORD)],
)
def test_wrong_email_or_password_is_401_invalid_credentials(api_client, email, password):
    UserFactory(email="user@example.com")
    response = api_client.post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "detail": "The email address or password is not correct.",
    }


def test_a_deactivated_user_cannot_sign_in(api_client):
    user = UserFactory(is_active=False)
    response = api_client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def login(api_client, email, password, **extra):
    return api_client.post(
        "/api/v1/auth/login/", {"email": email, "password": password}, format="json", **extra
    )


def test_guesses_from_many_addresses_do_not_lock_the_account_out(api_client, settings, user):
    settings.SIGNIN_PAIR_FAILURES = 3
    for index in range(6):
        response = login(api_client, user.email, "nope", REMOTE_ADDR=f"10.0.0.{index}")
        assert response.status_code == 401
    # The right password from yet another address: the owner signs in.
    response = login(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 200


def test_failed_sign_ins_are_limited_per_client_address(api_client, settings):
    settings.SIGNIN_ADDRESS_FAILURES = 3
    users = UserFactory.create_batch(4)
    for user in users[:3]:
        assert login(api_client, user.email, "nope").status_code in (401, 429)
    response = login(api_client, users[3].email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Another address is not held back by this one.
    assert (
        login(api_client, users[3].email, DEFAULT_PASSWORD, REMOTE_ADDR="10.1.1.1").status_code
        == 200
    )


def test_register_is_throttled_per_client_address(api_client, throttle_rates):
    throttle_rates(register="2/hour")
    for index in range(2):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"email": f"r{index}@example.com", "password": STRONG},
            format="json",
        )
        assert response.status_code == 201
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "r9@example.com", "password": STRONG}, format="json"
    )
    assert response.status_code == 429
    assert not User.objects.filter(email="r9@example.com").exists()


# --- refresh and logout ----------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client, user):
    old = str(RefreshToken.for_user(user))
    response = api_client.post("/api/v1/auth/refresh/", {"refresh": old}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != old

    reused = api_client.post("/api/v1/auth/refresh", {"refresh": old}, format="json")
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_invalid"

    assert (
        api_client.post(
            "/api/v1/auth/refresh/", {"refresh": body["refresh"]}, format="json"
        ).status_code
        == 200
    )


def test_an_expired_refresh_token_is_401_token_invalid(api_client, user):
    from datetime import timedelta

    token = RefreshToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = api_client.post("/api/v1/auth/refresh/", {"refresh": str(token)}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_a_garbage_refresh_token_is_401_and_a_missing_one_is_a_validation_error(api_client):
    response = api_client.post("/api/v1/auth/refresh/", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    response = api_client.post("/api/v1/auth/refresh/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"refresh": ["This field is required."]}


def test_refresh_for_a_deactivated_user_is_refused(api_client):
    user = UserFactory()
    token = str(RefreshToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = api_client.post("/api/v1/auth/refresh/", {"refresh": token}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_logout_blacklists_the_refresh_token(user):
    refresh = str(RefreshToken.for_user(user))
    client = bearer_client(user)
    response = client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    again = client.post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_invalid"


def test_logout_needs_the_access_token(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    response = api_client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_logout_refuses_someone_elses_refresh_token(user):
    other = UserFactory()
    theirs = str(RefreshToken.for_user(other))
    response = bearer_client(user).post("/api/v1/auth/logout/", {"refresh": theirs}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    # Their session still works.
    client = bearer_client(other)
    assert (
        client.post("/api/v1/auth/refresh/", {"refresh": theirs}, format="json").status_code == 200
    )


# --- passwords ---------------------------------------------------------------------------


def reset_pair(message) -> tuple[str, str]:
    uid, token = re.search(r"/accounts/password/reset/([^/\s]+)/([^/\s]+)/", message.body).groups()
    return uid, token


def test_forgot_password_answers_202_for_known_and_unknown_addresses_alike(
    api_client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(
            "/api/v1/auth/forgot-password/", {"email": user.email.upper()}, format="json"
        )
        unknown = api_client.post(
            "/api/v1/auth/forgot-password/", {"email": "nobody@example.com"}, format="json"
        )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [m.to for m in mail.outbox] == [[user.email]]
    message = mail.outbox[0]
    assert "Reset your Shop password" in message.subject
    assert message.alternatives[0][1] == "text/html"


def test_reset_password_with_the_mailed_uid_and_token(
    api_client, user, django_capture_on_commit_callbacks
):
    refresh_before = str(RefreshToken.for_user(user))
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/forgot-password/", {"email": user.email}, format="json")
    uid, token = reset_pair(mail.outbox[0])

    response = api_client.post(
        "/api/v1/auth/reset-password/",
        {"uid": uid, "token": token, "new_password": STRONG},
        format="json",
    )
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(STRONG)
    # Every API session of the old password is over.
    refreshed = api_client.post("/api/v1/auth/refresh/", {"refresh": refresh_before}, format="json")
    assert refreshed.status_code == 401

    reused = api_client.post(
        "/api/v1/auth/reset-password/",
        {"uid": uid, "token": token, "new_password": "another-" + STRONG},
        format="json",
    )
    assert reused.status_code == 400
    assert reused.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.mark.parametrize(("uid", "token"), [("garbage", "garbage"), ("MQ", "bad-token"), ("", "x")])
def test_reset_password_with_a_bad_link_fails_cleanly(api_client, user, uid, token):
    response = api_client.post(
        "/api/v1/auth/reset-password/",
        {"uid": uid, "token": token, "new_password": STRONG},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_token", "validation_error"}


def test_reset_password_rejects_a_weak_password(api_client, user):
    from accounts.services import password_reset_token_make

    uid, token = password_reset_token_make(user=user)
    response = api_client.post(
        "/api/v1/auth/reset-password/",
        {"uid": uid, "token": token, "new_password": "123"},
        format="json",
    )
    assert response.status_code == 400
    assert "new_password" in response.json()["fields"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_password(user):
    client = bearer_client(user)
    wrong = client.post(
        "/api/v1/auth/change-password/",
        {"old_password": "not-it", "new_password": STRONG},
        format="json",
    )
    assert wrong.status_code == 400
    assert "old_password" in wrong.json()["fields"]

    weak = client.post(
        "/api/v1/auth/change-password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": "abc"},
        format="json",
    )
    assert weak.status_code == 400
    assert "new_password" in weak.json()["fields"]

    ok = client.post(
        "/api/v1/auth/change-password",
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG},
        format="json",
    )
    assert ok.status_code == 204
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_change_password_needs_a_signed_in_user(api_client):
    response = api_client.post(
        "/api/v1/auth/change-password/", {"old_password": "a", "new_password": "b"}, format="json"
    )
    assert response.status_code == 401


def test_forgot_password_is_throttled(api_client, throttle_rates, user):
    throttle_rates(password_reset="2/hour")
    for _ in range(2):
        response = api_client.post(
            "/api/v1/auth/forgot-password/", {"email": user.email}, format="json"
        )
        assert response.status_code == 202
    response = api_client.post(
        "/api/v1/auth/forgot-password/", {"email": user.email}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


# --- email verification ------------------------------------------------------------------


def test_verify_email_with_the_key_from_the_mail_then_the_key_is_used(
    api_client, django_capture_on_commit_callbacks
):
    register(api_client, django_capture_on_commit_callbacks)
    key = verification_key(mail_to("ada@example.com", "Confirm your email"))

    response = api_client.post("/api/v1/auth/verify-email/", {"key": key}, format="json")
    assert response.status_code == 204
    assert EmailAddress.objects.get(email="ada@example.com").verified

    login_response = api_client.post(
        "/api/v1/auth/login/", {"email": "ada@example.com", "password": STRONG}, format="json"
    )
    assert login_response.json()["user"]["email_verified"] is True

    used = api_client.post("/api/v1/auth/verify-email", {"key": key}, format="json")
    assert used.status_code == 400
    assert used.json()["code"] == "invalid_key"


def test_verify_email_with_a_bad_key_is_400_invalid_key(api_client):
    response = api_client.post("/api/v1/auth/verify-email/", {"key": "nonsense"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_key",
        "detail": "This verification link is invalid, expired or already used.",
    }


def test_an_api_sign_up_verified_on_the_page_is_verified_in_the_api(
    api_client, client, django_capture_on_commit_callbacks
):
    """The API and allauth's pages share one EmailAddress and one kind of key."""
    register(api_client, django_capture_on_commit_callbacks)
    key = verification_key(mail_to("ada@example.com", "Confirm your email"))

    page = client.post(f"/accounts/confirm-email/{key}/")
    assert page.status_code == 302

    response = api_client.post(
        "/api/v1/auth/login/", {"email": "ada@example.com", "password": STRONG}, format="json"
    )
    assert response.json()["user"]["email_verified"] is True
    used = api_client.post("/api/v1/auth/verify-email/", {"key": key}, format="json")
    assert used.json()["code"] == "invalid_key"


def test_verify_email_is_throttled_per_key(api_client, throttle_rates):
    throttle_rates(verify_email="2/hour")
    for _ in range(2):
        assert (
            api_client.post("/api/v1/auth/verify-email/", {"key": "k"}, format="json").status_code
            == 400
        )
    response = api_client.post(
        "/api/v1/auth/verify-email/", {"key": "k"}, format="json", REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 429


def test_changing_the_password_ends_every_api_session(user):
    refresh = str(RefreshToken.for_user(user))
    client = bearer_client(user)
    client.post(
        "/api/v1/auth/change-password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG},
        format="json",
    )
    response = client.post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 401


def test_changing_the_password_on_the_page_ends_every_api_session(client, user):
    refresh = str(RefreshToken.for_user(user))
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": DEFAULT_PASSWORD, "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302
    api = bearer_client(user)
    assert api.post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code == 401
