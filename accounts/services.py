"""Writes and business rules of the accounts app (see CONVENTIONS.md)."""

from django.db import transaction

from accounts.models import User


@transaction.atomic
def staff_user_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Create the platform staff account `email`, or reset its password; returns (user, created)."""
    user, created = User.objects.get_or_create(
        email=email.strip().lower(),
        defaults={"is_staff": True, "is_superuser": True, "first_name": "Staff"},
    )
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    user.set_password(password)
    user.save()
    return user, created
