import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import User


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_prints_a_staff_login_that_works():
    output = seed()
    email = re.search(r"email:\s+(\S+)", output).group(1)
    password = re.search(r"password:\s+(\S+)", output).group(1)
    user = authenticate(email=email, password=password)
    assert user is not None
    assert user.is_staff and user.is_superuser


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_the_latest_printed_password_works():
    seed()
    output = seed("--staff-password", "another-long-password")
    assert "Reset the staff login" in output
    assert User.objects.filter(email="admin@example.com").count() == 1
    assert authenticate(email="ADMIN@example.com", password="another-long-password")


@pytest.mark.django_db
def test_seed_demo_rejects_a_short_password():
    with pytest.raises(CommandError):
        seed("--staff-password", "short")
