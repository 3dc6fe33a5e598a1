"""allauth's pages as the storefront shows them: sign-up, email verification, login and
logout, the password reset request and the reset link's page, password change, the
Google/GitHub buttons and the rate-limit page. Django's test client, real mails in
`mailoutbox` (Celery runs eagerly; mails leave on commit, hence
`django_capture_on_commit_callbacks(execute=True)` around the requests that send one)."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-passphrase-for-the-shop"


def link_path(message, marker: str) -> str:
    """The path (with query) of the first link in a mail's text body containing `marker`."""
    for url in re.findall(r"https?://\S+", message.body):
        if marker in url:
            parts = urlsplit(url)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link with {marker!r} in:\n{message.body}")


def mails_to(mailoutbox, email: str) -> list:
    return [message for message in mailoutbox if email in message.to]


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- Sign-up and email verification --------------------------------------------------------


def test_sign_up_page_is_drawn_in_the_storefront_frame(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert " ".join(title.split()) == "Signup · Shop"
    assert 'name="email"' in html and 'name="password1"' in html
    assert '<label for="id_email">' in html


def test_sign_up_creates_an_unverified_user_and_mails_the_verification_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "New.Person@Example.com",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )

    # Not signed in yet: the link in the mail signs them in (the page answers the same
    # for an address that already has an account: tests/security/test_signin_guard.py).
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user_id(client) is None
    assert not EmailAddress.objects.get(user=user).verified
    verification = [m for m in mails_to(mailoutbox, user.email) if "confirm-email" in m.body]
    assert len(verification) == 1
    # The welcome mail goes out beside it.
    assert len(mails_to(mailoutbox, user.email)) == 2


def test_the_mailed_verification_link_confirms_the_address_on_post(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "verify@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    (mail,) = [m for m in mailoutbox if "confirm-email" in m.body]
    path = link_path(mail, "/accounts/confirm-email/")
    client.logout()  # the link is often opened elsewhere, in the mail app's browser

    page = client.get(path)
    assert page.status_code == 200
    assert b"verify@example.com" in page.content
    # Opening the link alone (a mail scanner) confirms nothing.
    assert not EmailAddress.objects.get(email="verify@example.com").verified

    response = client.post(path)

    assert response.status_code == 302
    address = EmailAddress.objects.get(email="verify@example.com")
    assert address.verified
    client.force_login(address.user)
    overview = client.get(reverse("accounts:overview"))
    assert b"Verified" in overview.content
    assert b"Not verified" not in overview.content


def test_a_bad_verification_link_explains_itself(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))

    assert response.status_code == 200
    assert b"expired or is invalid" in response.content
    assert reverse("account_email").encode() in response.content


def test_sign_up_with_a_taken_address_in_another_case_makes_no_account(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": "TAKEN@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    # As for a new address (nothing revealed); the owner hears of it by mail.
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert signed_in_user_id(client) is None
    assert [m.to for m in mailoutbox] == [["taken@example.com"]]


@pytest.mark.parametrize(
    ("password", "complaint"),
    [("12345678", "entirely numeric"), ("password", "too common"), ("x7!", "too short")],
)
def test_sign_up_with_a_weak_password_is_refused(client, password, complaint):
    response = client.post(
        reverse("account_signup"),
        {"email": "weak@example.com", "password1": password, "password2": password},
    )

    assert response.status_code == 200
    assert complaint in str(response.context["form"].errors["password1"])
    assert not User.objects.filter(email="weak@example.com").exists()


# --- Login and logout ---------------------------------------------------------------------


def test_login_with_the_right_password_signs_in_and_opens_the_account(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email.upper(), "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:overview")
    assert signed_in_user_id(client) == str(user.pk)


def test_login_with_a_wrong_password_shows_an_error(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert b"not correct" in response.content
    assert b'class="form-errors"' in response.content
    assert signed_in_user_id(client) is None


def test_logout_happens_on_post_only(client, user):
    client.force_login(user)

    confirm = client.get(reverse("account_logout"))
    assert confirm.status_code == 200
    assert signed_in_user_id(client) == str(user.pk)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert signed_in_user_id(client) is None


def test_too_many_login_attempts_answer_the_styled_429_page(client, settings, user):
    settings.ACCOUNT_RATE_LIMITS = {"login": "1/m/ip"}
    credentials = {"login": user.email, "password": "wrong"}

    client.post(reverse("account_login"), credentials)
    response = client.post(reverse("account_login"), credentials)

    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert b'class="site-header"' in response.content


# --- Password reset -----------------------------------------------------------------------


def request_reset(client, email: str, capture):
    with capture(execute=True):
        return client.post(reverse("account_reset_password"), {"email": email}, follow=True)


def test_reset_request_mails_a_link_to_a_known_address(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    response = request_reset(client, user.email, django_capture_on_commit_callbacks)

    assert response.redirect_chain[-1][0] == reverse("account_reset_password_done")
    (mail,) = mailoutbox
    assert mail.to == [user.email]
    assert link_path(mail, "/accounts/password/reset/").startswith("/accounts/password/reset/")


def test_reset_request_for_an_unknown_address_answers_the_same_and_sends_nothing(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    known = request_reset(client, user.email, django_capture_on_commit_callbacks)
    mailoutbox.clear()

    unknown = request_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.status_code == known.status_code == 200
    assert b"We have sent you an email" in unknown.content


def test_the_reset_link_sets_a_new_password_once(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    request_reset(client, user.email, django_capture_on_commit_callbacks)
    path = link_path(mailoutbox[0], "/accounts/password/reset/")

    page = client.get(path)
    assert page.status_code == 200
    assert b'name="new_password1"' in page.content
    assert page["Referrer-Policy"] == "no-referrer"

    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    login_page = client.get(response.url)
    assert b"Your password has been changed" in login_page.content

    # The link is spent: neither opening nor posting it works again.
    again = client.get(path)
    assert b"invalid or expired" in again.content
    assert reverse("account_reset_password").encode() in again.content
    client.post(
        path, {"new_password1": "yet-another-passphrase", "new_password2": "yet-another-passphrase"}
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_reset_page_refuses_a_weak_password(client, user):
    from accounts.services import password_reset_token_make

    uid, token = password_reset_token_make(user=user)
    path = reverse("accounts:password_reset_confirm", args=[uid, token])

    response = client.post(path, {"new_password1": "123456789", "new_password2": "123456789"})

    assert response.status_code == 200
    assert "entirely numeric" in str(response.context["form"].errors)
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("uid", "token"), [("MQ", "1234-not-a-token"), ("bm90LWEtbnVtYmVy", "x"), ("key", "done")]
)
def test_a_bad_reset_link_shows_the_invalid_link_page(client, user, uid, token):
    response = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]))

    assert response.status_code == 200
    assert b"invalid or expired" in response.content
    assert b'name="new_password1"' not in response.content


# --- Password change ----------------------------------------------------------------------


def test_password_change_page_changes_the_password_and_keeps_the_session(client, user):
    client.force_login(user)
    assert client.get(reverse("account_change_password")).status_code == 200

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("accounts:overview")).status_code == 200


def test_password_change_with_a_wrong_current_password_changes_nothing(client, user):
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["oldpassword"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- Google and GitHub --------------------------------------------------------------------

NO_APPS = {"google": {"APPS": []}, "github": {"APPS": []}}
GOOGLE_ONLY = {
    "google": {"APPS": [{"client_id": "google-client-id", "secret": "google-secret"}]},
    "github": {"APPS": []},
}


@pytest.mark.parametrize("page", ["account_login", "account_signup"])
def test_provider_buttons_are_hidden_without_credentials(client, settings, page):
    settings.SOCIALACCOUNT_PROVIDERS = NO_APPS

    html = client.get(reverse(page)).content.decode()

    assert "Continue with" not in html
    assert "/accounts/google/login/" not in html
    assert "/accounts/github/login/" not in html


@pytest.mark.parametrize("page", ["account_login", "account_signup"])
def test_only_the_configured_provider_gets_a_button(client, settings, page):
    settings.SOCIALACCOUNT_PROVIDERS = GOOGLE_ONLY

    html = client.get(reverse(page)).content.decode()

    assert "Continue with Google" in html
    assert 'action="/accounts/google/login/?process=login"' in html
    assert "GitHub" not in html


def test_the_google_button_starts_the_login_with_one_post(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = GOOGLE_ONLY

    response = client.post("/accounts/google/login/?process=login")

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert target.netloc == "accounts.google.com"
    assert "client_id=google-client-id" in target.query


# --- Signed-in pages need a signed-in person ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("accounts:overview"),
        reverse("accounts:profile"),
        reverse("accounts:addresses"),
        reverse("accounts:address_add"),
        reverse("accounts:address_edit", args=[1]),
        reverse("accounts:address_delete", args=[1]),
        reverse("accounts:delete"),
        reverse("account_change_password"),
        reverse("account_email"),
    ],
)
def test_account_pages_send_anonymous_visitors_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={url}"
