"""Reads of the accounts app: querysets already joined and limited to what the caller may see."""

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Address, User
from accounts.roles import annotate_roles


def _verified_email_subquery():
    return EmailAddress.objects.filter(
        user_id=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True
    )


def user_email_verified(*, user: User) -> bool:
    """The user's current address is verified (checkout needs it)."""
    annotated = getattr(user, "email_verified", None)
    if annotated is not None:
        return bool(annotated)
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def user_verified_emails(*, user: User) -> list[str]:
    """The addresses `user` proved to be theirs."""
    return list(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )


def user_list() -> QuerySet[User]:
    """Every user, each annotated with `email_verified` and what its roles need, for staff."""
    users = User.objects.annotate(email_verified=Exists(_verified_email_subquery()))
    return annotate_roles(users).order_by("id")


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def address_list(*, user: User) -> QuerySet[Address]:
    """The caller's own address book; another person's addresses are never in it."""
    return Address.objects.filter(user=user)


def address_default(*, user: User) -> Address | None:
    return address_list(user=user).filter(is_default=True).first()


def staff_ids_with_permission(permission: str) -> list[int]:
    """Active staff holding `permission` ("app_label.codename"), directly, through a
    group, or as superusers: whom an operations notice goes to."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app_label, codename = permission.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return list(
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=granted)
            | Q(groups__permissions__in=granted)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
