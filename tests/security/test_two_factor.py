"""Two-factor sign-in for staff and sellers (issue 14, point 9).

allauth's MFA: TOTP with recovery codes, offered to everyone on the account pages, and
required for platform staff when STAFF_REQUIRE_MFA is on (the production default): until
they set it up they hold no staff power and the admin sends them to set it up. The API's
login asks for the code too, so that the second factor cannot be skipped there.
"""

from __future__ import annotations

import time

import pytest
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import policies
from tests.conftest import bearer_client
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory, verify_email

pytestmark = pytest.mark.django_db
LOGIN = "/api/v1/auth/login/"


def with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def current_code(secret: str) -> str:
    """The code of this period, taken early enough in it to be checked in the same one (the
    check allows no other period: MFA_TOTP_TOLERANCE 0), however slow the machine."""
    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 5:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def login(user, **extra):
    body = {"email": user.email, "password": DEFAULT_PASSWORD, **extra}
    return APIClient().post(LOGIN, body, format="json")


def test_the_api_login_asks_for_the_second_factor(db):
    person = verify_email(UserFactory())
    secret = with_totp(person)

    without = login(person)
    assert without.status_code == 401 and without.json()["code"] == "mfa_required"
    wrong = login(person, code="000000")
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_mfa_code"
    right = login(person, code=current_code(secret))
    assert right.status_code == 200 and right.json()["access"]

    recovery = RecoveryCodes(Authenticator.objects.get(user=person, type="recovery_codes"))
    code = recovery.get_unused_codes()[0]
    assert login(person, code=code).status_code == 200
    assert login(person, code=code).status_code == 401  # a recovery code works once


def test_the_sign_in_page_asks_for_the_code(client):
    person = verify_email(UserFactory())
    secret = with_totp(person)
    page = client.post(
        reverse("account_login"), {"login": person.email, "password": DEFAULT_PASSWORD}
    )
    assert page.status_code == 302 and page["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    done = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert done.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.pk


def test_everyone_is_offered_two_factor_sign_in_on_the_account_pages(client):
    client.force_login(verify_email(UserFactory()))
    overview = client.get(reverse("accounts:overview")).content.decode()
    assert reverse("mfa_index") in overview
    page = client.get(reverse("mfa_index"))
    assert page.status_code == 200
    assert reverse("mfa_activate_totp") in page.content.decode()


@pytest.fixture
def required(settings):
    settings.STAFF_REQUIRE_MFA = True


def test_staff_without_a_second_factor_hold_no_staff_power(required, client):
    staff = verify_email(StaffFactory())
    assert not policies.staff_may(staff, "orders.view_order")
    assert bearer_client(staff).get("/api/v1/reports/sales/").status_code == 403

    response = login(staff)
    assert response.status_code == 403 and response.json()["code"] == "mfa_setup_required"

    client.force_login(staff)
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302
    assert admin["Location"].startswith(reverse("mfa_activate_totp"))


def test_staff_with_a_second_factor_work_as_before(required, client):
    staff = verify_email(StaffFactory())
    secret = with_totp(staff)
    assert policies.staff_may(staff, "orders.view_order")
    token = login(staff, code=current_code(secret)).json()["access"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/reports/sales/").status_code == 200
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_customers_and_sellers_are_not_forced(required):
    assert login(verify_email(UserFactory())).status_code == 200


def test_guessing_the_code_is_limited_and_counts_as_failed_sign_ins(db, settings):
    person = verify_email(UserFactory())
    secret = with_totp(person)
    answers = [login(person, code=f"{n:06d}").status_code for n in range(6)]
    assert answers[:5] == [401] * 5
    # The sign-in guard counted the wrong codes: that account and address are locked out
    # (and allauth's own limit of wrong codes per account holds on the page as well).
    assert answers[5] == 429
    assert login(person, code=current_code(secret)).status_code == 429
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"].endswith("/key")


def test_only_superusers_see_second_factors_in_the_admin(client):
    person = verify_email(UserFactory())
    with_totp(person)
    url = reverse("admin:mfa_authenticator_changelist")
    client.force_login(StaffFactory())  # every model permission, not a superuser
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(url)
    assert page.status_code == 200
    detail = client.get(
        reverse("admin:mfa_authenticator_change", args=[Authenticator.objects.first().pk])
    )
    assert "data" not in detail.context["adminform"].form.fields
    assert str(Authenticator.objects.first().data.get("secret", "")) not in detail.content.decode()
