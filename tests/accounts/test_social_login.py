"""Google and GitHub login through allauth's real views, with only the providers faked.

pytest-httpserver answers for Google and GitHub (token, profile and email endpoints);
everything on the shop's side runs for real: allauth's login and callback views, the
project's adapters and settings, the sign-up signal and the welcome mail task.

allauth reads the provider endpoints into class attributes when its views are imported,
so they are monkeypatched on the adapter classes. The apps (client id and secret) are
read from settings.SOCIALACCOUNT_PROVIDERS on every request (no cache), so the `settings`
fixture is enough for them.
"""

import copy
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
from django.contrib.auth import get_user
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from pytest_httpserver import HTTPServer

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CLIENT_ID = "shop-test-client-id"
CLIENT_SECRET = "shop-test-client-secret-long-enough-for-hs256"
GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass
class FakeProvider:
    """One provider, configured in settings and answered by the local HTTP server."""

    id: str
    server: HTTPServer

    @property
    def authorize_url(self) -> str:
        return self.server.url_for(f"/{self.id}/authorize")

    @property
    def token_path(self) -> str:
        return f"/{self.id}/token"

    def requests_to(self, path: str) -> list:
        return [request for request, _ in self.server.log if request.path == path]


def _configure_app(settings, provider_id: str, apps: list[dict]) -> None:
    # A copy, so that the settings fixture restores the original dict after the test.
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers[provider_id]["APPS"] = apps
    settings.SOCIALACCOUNT_PROVIDERS = providers


@pytest.fixture
def google(settings, httpserver, monkeypatch) -> FakeProvider:
    _configure_app(settings, "google", [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET}])
    provider = FakeProvider("google", httpserver)
    monkeypatch.setattr(GoogleOAuth2Adapter, "authorize_url", provider.authorize_url)
    monkeypatch.setattr(
        GoogleOAuth2Adapter, "access_token_url", httpserver.url_for(provider.token_path)
    )
    # Google's adapter has no profile_url: it reads the person from the id_token of the
    # token answer and calls identity_url (userinfo) only when there is none.
    monkeypatch.setattr(GoogleOAuth2Adapter, "identity_url", httpserver.url_for("/google/userinfo"))
    return provider


@pytest.fixture
def github(settings, httpserver, monkeypatch) -> FakeProvider:
    _configure_app(settings, "github", [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET}])
    provider = FakeProvider("github", httpserver)
    monkeypatch.setattr(GitHubOAuth2Adapter, "authorize_url", provider.authorize_url)
    monkeypatch.setattr(
        GitHubOAuth2Adapter, "access_token_url", httpserver.url_for(provider.token_path)
    )
    monkeypatch.setattr(GitHubOAuth2Adapter, "profile_url", httpserver.url_for("/github/user"))
    monkeypatch.setattr(
        GitHubOAuth2Adapter, "emails_url", httpserver.url_for("/github/user/emails")
    )
    return provider


# --- Provider answers --------------------------------------------------------------------


def google_id_token(**claims) -> str:
    """An id_token as Google's token endpoint returns it. allauth skips the signature check
    for a token it fetched itself over TLS (OpenID Connect Core 3.1.3.7) but checks
    issuer, audience and expiry, so those must be right."""
    now = int(time.time())
    payload = {
        "iss": GOOGLE_ISSUER,
        "aud": CLIENT_ID,
        "sub": "google-uid-1",
        "email": "ada@example.com",
        "email_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, CLIENT_SECRET, algorithm="HS256")


def answer_google_token(google: FakeProvider, **claims) -> None:
    google.server.expect_request(google.token_path, method="POST").respond_with_json(
        {
            "access_token": "google-access-token",
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "openid email profile",
            "id_token": google_id_token(**claims),
        }
    )


def answer_github(
    github: FakeProvider,
    *,
    uid: int = 4242,
    name: str = "Grace Hopper",
    public_email: str | None = "grace@example.com",
    emails: list[dict] | None = None,
) -> None:
    if emails is None:
        emails = [{"email": "grace@example.com", "primary": True, "verified": True}]
    # GitHub answers the token request form-encoded unless asked for JSON.
    github.server.expect_request(github.token_path, method="POST").respond_with_data(
        "access_token=github-access-token&scope=user%3Aemail&token_type=bearer",
        content_type="application/x-www-form-urlencoded",
    )
    github.server.expect_request(
        "/github/user", headers={"Authorization": "token github-access-token"}
    ).respond_with_json({"id": uid, "login": "ghopper", "name": name, "email": public_email})
    github.server.expect_request(
        "/github/user/emails", headers={"Authorization": "token github-access-token"}
    ).respond_with_json([{"visibility": None, **email} for email in emails])


# --- The browser side of the flow ---------------------------------------------------------


def start_login(client: Client, provider: FakeProvider) -> str:
    """Press "Sign in with ...": the shop sends the browser to the provider. Returns the
    state the provider hands back."""
    response = client.post(f"/accounts/{provider.id}/login/")

    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == provider.authorize_url
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"https://testserver/accounts/{provider.id}/login/callback/"]
    return query["state"][0]


def finish_login(client: Client, provider: FakeProvider, *, state: str, code: str = "the-code"):
    """The provider sends the browser back with a code."""
    return client.get(f"/accounts/{provider.id}/login/callback/", {"code": code, "state": state})


def log_in_with(client: Client, provider: FakeProvider, django_capture_on_commit_callbacks):
    state = start_login(client, provider)
    with django_capture_on_commit_callbacks(execute=True):
        return finish_login(client, provider, state=state)


def assert_token_request(provider: FakeProvider, *, code: str = "the-code") -> None:
    [request] = provider.requests_to(provider.token_path)
    assert request.form["code"] == code
    assert request.form["grant_type"] == "authorization_code"
    assert request.form["client_id"] == CLIENT_ID
    assert request.form["client_secret"] == CLIENT_SECRET
    assert request.form["redirect_uri"] == (
        f"https://testserver/accounts/{provider.id}/login/callback/"
    )


def assert_refused(client: Client, response) -> None:
    """An authentication error page, not a crash, and nobody signed in or up."""
    assert response.status_code == 401
    assert "socialaccount/authentication_error.html" in [t.name for t in response.templates]
    assert not get_user(client).is_authenticated
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def welcome_mails(mailoutbox, email: str) -> list:
    return [m for m in mailoutbox if m.to == [email] and "Welcome" in m.subject]


# --- Google --------------------------------------------------------------------------------


def test_google_signs_up_and_logs_in_a_new_person(
    client, settings, google, mailoutbox, django_capture_on_commit_callbacks
):
    answer_google_token(google)

    response = log_in_with(client, google, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    user = User.objects.get()
    assert get_user(client).pk == user.pk
    assert (user.email, user.first_name, user.last_name) == ("ada@example.com", "Ada", "Lovelace")
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("ada@example.com", True, True)
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", "google-uid-1")
    assert len(welcome_mails(mailoutbox, "ada@example.com")) == 1
    assert_token_request(google)
    # The id_token carried the person: no userinfo call, no certificate download.
    assert [request.path for request, _ in google.server.log] == [google.token_path]


def test_google_second_login_uses_the_same_user(
    client, google, mailoutbox, django_capture_on_commit_callbacks
):
    answer_google_token(google)
    log_in_with(client, google, django_capture_on_commit_callbacks)
    first_user = User.objects.get()

    google.server.clear()
    answer_google_token(google, given_name="Augusta Ada")
    other_browser = Client()
    response = log_in_with(other_browser, google, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert get_user(other_browser).pk == first_user.pk
    assert User.objects.count() == 1
    assert SocialAccount.objects.count() == 1
    assert EmailAddress.objects.count() == 1
    assert SocialAccount.objects.get().extra_data["given_name"] == "Augusta Ada"
    assert len(welcome_mails(mailoutbox, "ada@example.com")) == 1  # welcomed once


def test_google_unverified_email_is_stored_unverified_and_confirmation_is_mailed(
    client, google, mailoutbox, django_capture_on_commit_callbacks
):
    answer_google_token(google, email="unconfirmed@example.com", email_verified=False)

    response = log_in_with(client, google, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    user = User.objects.get()
    assert get_user(client).pk == user.pk  # ACCOUNT_EMAIL_VERIFICATION is "optional"
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified) == ("unconfirmed@example.com", False)
    confirmations = [
        m for m in mailoutbox if m.to == ["unconfirmed@example.com"] and "Confirm" in m.subject
    ]
    assert len(confirmations) == 1
    assert "/accounts/confirm-email/" in confirmations[0].body
    assert len(welcome_mails(mailoutbox, "unconfirmed@example.com")) == 1


def test_google_without_id_token_reads_the_userinfo_endpoint(
    client, google, django_capture_on_commit_callbacks
):
    google.server.expect_request(google.token_path, method="POST").respond_with_json(
        {"access_token": "google-access-token", "expires_in": 3599, "token_type": "Bearer"}
    )
    google.server.expect_request(
        "/google/userinfo", headers={"Authorization": "Bearer google-access-token"}
    ).respond_with_json(
        {
            "id": "google-uid-2",
            "email": "mary@example.com",
            "verified_email": True,
            "given_name": "Mary",
            "family_name": "Somerville",
        }
    )

    response = log_in_with(client, google, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    user = User.objects.get()
    assert get_user(client).pk == user.pk
    assert (user.first_name, user.last_name) == ("Mary", "Somerville")
    assert EmailAddress.objects.get(user=user).verified is True
    assert SocialAccount.objects.get().uid == "google-uid-2"


def test_google_id_token_for_another_client_is_refused(client, google):
    answer_google_token(google, aud="someone-elses-client-id")

    response = finish_login(client, google, state=start_login(client, google))

    assert_refused(client, response)


def test_google_expired_id_token_is_refused(client, google):
    answer_google_token(google, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)

    response = finish_login(client, google, state=start_login(client, google))

    assert_refused(client, response)


def test_google_token_endpoint_error_creates_nobody(client, google):
    google.server.expect_request(google.token_path, method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Bad Request"}, status=400
    )

    response = finish_login(client, google, state=start_login(client, google))

    assert_refused(client, response)
    assert_token_request(google)


def test_google_login_into_existing_account_with_the_same_verified_email(
    client, google, mailoutbox, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=existing, email=existing.email, primary=True, verified=True)
    answer_google_token(google)

    response = log_in_with(client, google, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert get_user(client).pk == existing.pk
    assert User.objects.count() == 1
    assert SocialAccount.objects.get().user == existing  # connected for next time
    existing.refresh_from_db()
    assert existing.check_password(DEFAULT_PASSWORD)  # their password still works
    assert welcome_mails(mailoutbox, "ada@example.com") == []  # not a sign-up


# --- GitHub --------------------------------------------------------------------------------


def test_github_signs_up_and_logs_in_a_new_person(
    client, settings, github, mailoutbox, django_capture_on_commit_callbacks
):
    answer_github(github)

    response = log_in_with(client, github, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    user = User.objects.get()
    assert get_user(client).pk == user.pk
    assert (user.email, user.first_name, user.last_name) == ("grace@example.com", "Grace", "Hopper")
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("grace@example.com", True, True)
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("github", "4242")
    assert len(welcome_mails(mailoutbox, "grace@example.com")) == 1
    assert_token_request(github)
    # SOCIALACCOUNT_QUERY_EMAIL: the verified flags come from /user/emails.
    assert len(github.requests_to("/github/user/emails")) == 1


def test_github_private_email_comes_from_the_emails_endpoint(
    client, github, django_capture_on_commit_callbacks
):
    answer_github(
        github,
        public_email=None,
        emails=[
            {"email": "old@example.com", "primary": False, "verified": False},
            {"email": "private@example.com", "primary": True, "verified": True},
        ],
    )

    response = log_in_with(client, github, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    user = User.objects.get()
    assert get_user(client).pk == user.pk
    assert user.email == "private@example.com"
    addresses = {a.email: (a.verified, a.primary) for a in EmailAddress.objects.filter(user=user)}
    # The other address GitHub knows is kept, unverified as GitHub says.
    assert addresses == {"private@example.com": (True, True), "old@example.com": (False, False)}


def test_github_second_login_uses_the_same_user(
    client, github, mailoutbox, django_capture_on_commit_callbacks
):
    answer_github(github)
    log_in_with(client, github, django_capture_on_commit_callbacks)
    first_user = User.objects.get()

    github.server.clear()
    answer_github(github)
    other_browser = Client()
    response = log_in_with(other_browser, github, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert get_user(other_browser).pk == first_user.pk
    assert User.objects.count() == 1
    assert SocialAccount.objects.count() == 1
    assert len(welcome_mails(mailoutbox, "grace@example.com")) == 1


def test_github_token_endpoint_error_creates_nobody(client, github):
    github.server.expect_request(github.token_path, method="POST").respond_with_json(
        {"error": "bad_verification_code"}, status=400
    )

    response = finish_login(client, github, state=start_login(client, github))

    assert_refused(client, response)
    assert github.requests_to("/github/user") == []


def test_github_profile_endpoint_error_creates_nobody(client, github):
    github.server.expect_request(github.token_path, method="POST").respond_with_data(
        "access_token=github-access-token&token_type=bearer",
        content_type="application/x-www-form-urlencoded",
    )
    github.server.expect_request("/github/user").respond_with_json(
        {"message": "Server Error"}, status=502
    )

    response = finish_login(client, github, state=start_login(client, github))

    assert_refused(client, response)


def test_github_unverified_email_does_not_take_over_an_existing_account(
    client, github, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=owner, email=owner.email, primary=True, verified=True)
    answer_github(
        github, emails=[{"email": "grace@example.com", "primary": True, "verified": False}]
    )

    response = log_in_with(client, github, django_capture_on_commit_callbacks)

    # The person is asked to sign up with another address instead.
    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert not get_user(client).is_authenticated
    assert list(User.objects.all()) == [owner]
    assert not SocialAccount.objects.exists()
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)


# --- The flow itself --------------------------------------------------------------------------


def test_callback_with_a_foreign_state_is_refused_before_any_provider_call(client, github):
    start_login(client, github)

    response = finish_login(client, github, state="not-a-state-this-browser-got")

    assert_refused(client, response)
    assert github.server.log == []


def test_callback_without_login_start_is_refused(client, github):
    response = finish_login(client, github, state="anything")

    assert_refused(client, response)
    assert github.server.log == []


def test_person_cancelling_at_the_provider_creates_nobody(client, google):
    state = start_login(client, google)

    response = client.get(
        "/accounts/google/login/callback/", {"error": "access_denied", "state": state}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("socialaccount_login_cancelled")
    assert not get_user(client).is_authenticated
    assert not User.objects.exists()
    assert google.server.log == []


@pytest.mark.parametrize("provider_id", ["google", "github"])
def test_login_without_configured_app_does_not_start_a_flow(client, settings, provider_id):
    _configure_app(settings, provider_id, [])

    response = client.post(f"/accounts/{provider_id}/login/")

    assert response.status_code == 404
    assert not get_user(client).is_authenticated
    assert "socialaccount_states" not in client.session
