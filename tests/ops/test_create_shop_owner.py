"""`manage.py create_shop_owner`: a shop and its owner's verified account, login printed."""

import re
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.selectors import user_email_verified
from shops.models import Shop, ShopMembership
from shops.selectors import user_is_owner
from tests.factories import DEFAULT_PASSWORD, ShopFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_shop_owner", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def printed_password(out: str) -> str:
    return re.search(r"password: (\S+)", out).group(1)


def test_a_new_owner_gets_a_verified_account_a_random_password_and_the_shop():
    out = run("New.Owner@Example.com", "--shop", "Corner Café")

    shop = Shop.objects.get(name="Corner Café")
    assert shop.slug == "corner-cafe"
    [membership] = ShopMembership.objects.filter(shop=shop)
    user = membership.user
    assert membership.role == "owner" and user_is_owner(user=user, shop=shop)
    assert user.email == "new.owner@example.com"
    assert user_email_verified(user=user)
    password = printed_password(out)
    assert len(password) >= 12
    assert authenticate(email="new.owner@example.com", password=password) == user
    assert "Opened the shop “Corner Café” (slug corner-cafe)." in out
    assert "Created the owner's account" in out
    assert "email:    new.owner@example.com" in out
    assert "login:    http" in out and "/accounts/login/" in out


def test_a_given_password_is_used():
    out = run("owner@example.com", "--shop", "Lamps", "--password", "a-long-enough-pass-42")
    assert printed_password(out) == "a-long-enough-pass-42"
    assert authenticate(email="owner@example.com", password="a-long-enough-pass-42")


def test_an_existing_account_is_reused_with_its_password_and_gets_verified():
    user = UserFactory(email="kim@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    out = run("KIM@example.com", "--shop", "Kim's Kites")

    assert "Reused the owner's account" in out
    assert "password: unchanged" in out
    assert authenticate(email="kim@example.com", password=DEFAULT_PASSWORD) == user
    assert user_email_verified(user=user)
    assert EmailAddress.objects.filter(user=user).count() == 1
    assert user_is_owner(user=user, shop=Shop.objects.get(name="Kim's Kites"))


def test_a_weak_password_or_a_bad_address_is_refused_and_nothing_is_made():
    with pytest.raises(CommandError, match=r"too short|too common"):
        run("owner@example.com", "--shop", "Lamps", "--password", "abc")
    with pytest.raises(CommandError, match=r"Enter a valid email address\."):
        run("not-an-address", "--shop", "Lamps")
    assert not Shop.objects.exists()


def test_a_shop_name_in_use_is_refused():
    ShopFactory(name="Lamps", slug="lamps")
    with pytest.raises(CommandError, match=r"A shop named “Lamps” already exists"):
        run("owner@example.com", "--shop", "lamps")
    assert Shop.objects.count() == 1


def test_a_deactivated_account_is_refused():
    UserFactory(email="gone@example.com", is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        run("gone@example.com", "--shop", "Lamps")
    assert not Shop.objects.exists()
