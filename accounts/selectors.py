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
