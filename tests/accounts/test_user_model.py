import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from accounts.models import User


@pytest.mark.django_db
def test_email_is_the_login_and_is_stored_lower_case():
    user = User.objects.create_user("  Ada@Example.COM ", password="a-long-password-1")
    assert user.email == "ada@example.com"
    assert user.get_username() == "ada@example.com"
    assert authenticate(email="ADA@example.com", password="a-long-password-1") == user
    assert not user.is_staff and not user.is_superuser


@pytest.mark.django_db
def test_the_same_address_in_another_case_is_a_duplicate():
    User.objects.create_user("ada@example.com", password="x")
    with pytest.raises(IntegrityError):
        User.objects.create_user("ADA@example.com", password="x")


@pytest.mark.django_db
def test_an_email_address_is_required():
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", password="x")


@pytest.mark.django_db
def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser("root@example.com", password="x")
    assert admin.is_staff and admin.is_superuser
    with pytest.raises(ValueError):
        User.objects.create_superuser("bad@example.com", password="x", is_staff=False)


@pytest.mark.django_db
def test_names():
    user = User(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    assert str(user) == "ada@example.com"
    assert user.get_full_name() == "Ada Lovelace"
    assert user.get_short_name() == "Ada"
    assert User(email="x@example.com").get_short_name() == "x@example.com"
