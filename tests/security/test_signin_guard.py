"""Sign-in cannot be brute-forced, and nobody can lock a victim out (issue 14, point 2).

Three doors (the API's login, allauth's sign-in page, the admin's login) share one guard
(django-axes with accounts.signin's policy): failures count per account and address pair
(a lockout that doubles) and per address overall (a higher limit); successes never count.
Registering answers the same whether or not the address has an account.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import signin
from tests.factories import DEFAULT_PASSWORD, UserFactory, verify_email

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ATTACKER = "203.0.113.7"
VICTIM_HOME = "198.51.100.20"


def api_login(email: str, password: str, *, address: str = ATTACKER):
    return APIClient().post(
        LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=address
    )


@pytest.fixture
def victim(db):
    return verify_email(UserFactory(email="victim@example.com"))


def test_the_api_locks_out_an_account_and_address_pair_after_five_failures(victim):
    for _attempt in range(settings.SIGNIN_PAIR_FAILURES - 1):
        assert api_login(victim.email, "guess").status_code == 401
    locked = api_login(victim.email, "guess")
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert 0 < int(locked["Retry-After"]) <= settings.SIGNIN_LOCKOUT_SECONDS

    # Even the right password is refused from there now, unchecked...
    assert api_login(victim.email, DEFAULT_PASSWORD).status_code == 429
    # ... but the victim, from their own address, signs in as always.
    assert api_login(victim.email, DEFAULT_PASSWORD, address=VICTIM_HOME).status_code == 200


def test_each_further_lockout_lasts_twice_as_long(victim, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(signin.time, "time", lambda: clock[0])
    for _attempt in range(settings.SIGNIN_PAIR_FAILURES):
        api_login(victim.email, "guess")
    first = int(api_login(victim.email, "guess")["Retry-After"])

    clock[0] += settings.SIGNIN_LOCKOUT_SECONDS + 1  # the first lockout is over
    assert api_login(victim.email, DEFAULT_PASSWORD).status_code == 200  # and clears it
    for _attempt in range(settings.SIGNIN_PAIR_FAILURES):
        api_login(victim.email, "guess")
    assert int(api_login(victim.email, "guess")["Retry-After"]) == first  # a fresh start

    clock[0] += settings.SIGNIN_LOCKOUT_SECONDS + 1
    for _attempt in range(settings.SIGNIN_PAIR_FAILURES):
        api_login(victim.email, "guess")
    second = int(api_login(victim.email, "guess")["Retry-After"])
    assert second == 2 * settings.SIGNIN_LOCKOUT_SECONDS


def test_an_address_guessing_many_accounts_is_locked_out_with_a_higher_limit(settings):
    settings.SIGNIN_ADDRESS_FAILURES = 12
    people = [UserFactory() for _ in range(6)]
    answers = [
        api_login(person.email, "guess").status_code for person in people for _try in range(2)
    ]
    assert answers[:-1] == [401] * 11 and answers[-1] == 429  # two guesses per account
    # The address is refused for everyone; other addresses are not.
    assert api_login(people[0].email, DEFAULT_PASSWORD).status_code == 429
    assert api_login(people[0].email, DEFAULT_PASSWORD, address=VICTIM_HOME).status_code == 200


def test_fifty_shoppers_behind_one_address_all_sign_in():
    shared = "192.0.2.99"  # a mobile carrier's NAT
    shoppers = [UserFactory() for _ in range(50)]
    answers = [api_login(s.email, DEFAULT_PASSWORD, address=shared).status_code for s in shoppers]
    assert answers == [200] * 50


def test_the_sign_in_page_shares_the_guard(client, victim):
    url = reverse("account_login")
    for _attempt in range(settings.SIGNIN_PAIR_FAILURES - 1):
        page = client.post(url, {"login": victim.email, "password": "guess"})
        assert page.status_code == 200  # the form again, with its error
    page = client.post(url, {"login": victim.email, "password": "guess"})
    assert page.status_code == 429
    assert "Too many failed sign-in attempts" in page.content.decode()
    page = client.post(url, {"login": victim.email, "password": DEFAULT_PASSWORD})
    assert page.status_code == 429 and "_auth_user_id" not in client.session
    # The API door counts the same failures: that pair is locked there too.
    assert api_login(victim.email, DEFAULT_PASSWORD, address="127.0.0.1").status_code == 429


def test_the_admin_login_is_the_guarded_sign_in_page(client, victim):
    staff = verify_email(UserFactory(is_staff=True, email="desk@example.com"))
    admin_login = reverse("admin:login")
    # Twelve wrong passwords and then the right one at the admin's own address: it
    # checks none of them (no login form of its own any more) and signs nobody in.
    for password in ["guess"] * 12 + [DEFAULT_PASSWORD]:
        response = client.post(admin_login, {"username": staff.email, "password": password})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    # It sends everyone to the sign-in page, which leads back to the admin...
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_login") + "?next=/admin/"
    # ... and locks out guessing there.
    url = reverse("account_login") + "?next=/admin/"
    for _attempt in range(settings.SIGNIN_PAIR_FAILURES):
        client.post(url, {"login": staff.email, "password": "guess"})
    response = client.post(url, {"login": staff.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_the_admin_login_page_sends_signed_in_members_on(client):
    staff = verify_email(UserFactory(is_staff=True))
    client.force_login(staff)
    response = client.get(reverse("admin:login") + "?next=/admin/orders/order/")
    assert response.status_code == 302 and response["Location"] == "/admin/orders/order/"
    client.force_login(verify_email(UserFactory()))  # a customer: no admin for them
    assert client.get(reverse("admin:login")).status_code == 403


def test_page_rate_limits_follow_the_api_rates():
    rates = settings.ACCOUNT_RATE_LIMITS
    register = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["register"]
    reset = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset"]
    assert rates["signup"] == f"{register.split('/')[0]}/{register.split('/')[1][0]}/ip"
    count, period = reset.split("/")
    assert rates["reset_password"] == f"{count}/{period[0]}/ip,{count}/{period[0]}/key"
    # allauth's own sign-in limit (which counts successes per address) is off, and its
    # count of wrong passwords per account from anywhere (a victim lockout) is skipped by
    # the adapter; "login_failed" limits only wrong second-factor codes, per account.
    assert rates["login"] is False
    assert rates["login_failed"].endswith("/key")


# --- Registering reveals nothing --------------------------------------------------------


def test_registering_a_taken_address_answers_as_a_new_one_and_mails_the_owner(
    victim, django_capture_on_commit_callbacks
):
    body = {"email": "new@example.com", "password": "n3w-Pass!x-long"}
    new = APIClient().post("/api/v1/auth/register/", body, format="json")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        taken = APIClient().post(
            "/api/v1/auth/register/", {**body, "email": "VICTIM@example.com"}, format="json"
        )

    assert new.status_code == taken.status_code == 201
    assert set(new.json()) == set(taken.json()) == {"email", "detail"}
    assert new.json()["detail"] == taken.json()["detail"]
    assert get_user_model().objects.filter(email__iexact="victim@example.com").count() == 1
    assert [message.to for message in mail.outbox] == [["victim@example.com"]]
    assert "already" in mail.outbox[0].subject.lower() + mail.outbox[0].body.lower()


def test_the_sign_up_page_answers_the_same_for_a_taken_address(
    client, victim, django_capture_on_commit_callbacks
):
    form = {"password1": "n3w-Pass!x-long", "password2": "n3w-Pass!x-long"}
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post(reverse("account_signup"), {**form, "email": "fresh@example.com"})
    assert "_auth_user_id" not in client.session  # nobody is signed in by signing up
    client.cookies.clear()
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(reverse("account_signup"), {**form, "email": victim.email})

    assert new.status_code == taken.status_code == 302
    assert new["Location"] == taken["Location"] == reverse("account_email_verification_sent")
    assert get_user_model().objects.filter(email__iexact=victim.email).count() == 1
    assert get_user_model().objects.filter(email="fresh@example.com").exists()
    # The newcomer's link confirms the address and signs them in, in their browser.
    assert mail.outbox[0].to == ["fresh@example.com"]
    assert mail.outbox[-1].to == [victim.email]


def test_the_newcomers_link_signs_them_in_where_they_signed_up(
    client, django_capture_on_commit_callbacks
):
    form = {"password1": "n3w-Pass!x-long", "password2": "n3w-Pass!x-long"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup"), {**form, "email": "grace@example.com"})
    link = next(
        line
        for message in mail.outbox
        for line in message.body.splitlines()
        if "/accounts/confirm-email/" in line
    )
    path = "/accounts/confirm-email/" + link.split("/accounts/confirm-email/", 1)[1].strip()
    response = client.post(path)
    assert response.status_code == 302
    user = get_user_model().objects.get(email="grace@example.com")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_operators_lift_a_lockout_with_axes_commands(victim):
    from django.core.management import call_command

    for _attempt in range(settings.SIGNIN_PAIR_FAILURES):
        api_login(victim.email, "guess")
    assert api_login(victim.email, DEFAULT_PASSWORD).status_code == 429

    call_command("axes_reset_ip_username", ATTACKER, victim.email, verbosity=0)

    assert api_login(victim.email, DEFAULT_PASSWORD).status_code == 200
