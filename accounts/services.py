"""Writes and business rules of the accounts app (see docs/architecture.md).

The API and the pages share these: the same users, email addresses (allauth's, so a
verification on one side counts on the other), password rules and emails.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmation, EmailConfirmationHMAC
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import signals
from accounts.exceptions import (
    EmailNotVerified,
    InvalidCredentials,
    InvalidResetToken,
    InvalidVerificationKey,
    SecondFactorInvalid,
    SecondFactorRequired,
    SecondFactorSetupRequired,
    SignInLocked,
)
from accounts.models import (
    ADDRESS_FIELDS,
    PREFERENCE_FIELDS,
    Address,
    User,
    erased_email,
    validate_deliverable_email,
)
from accounts.policies import PRIVILEGE_FIELDS, may_change_user, mfa_required_but_missing
from accounts.selectors import user_email_verified, user_get_by_email
from accounts.signin import lockout_seconds_left, signin_failed, signin_succeeded
from core.errors import DomainValidationError, NotPermitted
from core.security.jwt import token_deny, user_card_forget

# --- Users --------------------------------------------------------------------------


def _validate_password(password: str, *, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise DomainValidationError(exc.messages[0], fields={field: exc.messages}) from exc


def _validate_email_deliverable(email: str) -> None:
    try:
        validate_deliverable_email(email)
    except DjangoValidationError as exc:
        raise DomainValidationError(exc.messages[0], fields={"email": exc.messages}) from exc


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> User | None:
    """Sign a person up: the user, their (unverified) primary address, a verification
    mail and a welcome mail. The same steps allauth's sign-up page takes.

    An address that already has an account makes no account: its owner is mailed that
    someone tried to sign up with it, and the caller answers as for a new one (None
    here), so that nobody learns who has an account.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    _validate_email_deliverable(email)
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    _validate_password(password, user=user, field="password")
    if user_get_by_email(email=email) or EmailAddress.objects.filter(email__iexact=email).exists():
        make_password(password)  # the same work as a sign-up: the answer takes as long
        _account_exists_mail(email=email, request=request)
        return None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent sign-up with the same address won
        _account_exists_mail(email=email, request=request)
        return None
    address = EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    address.send_confirmation(request, signup=True)
    welcome_email_queue(user=user)
    return user


def _account_exists_mail(*, email: str, request: HttpRequest | None) -> None:
    """allauth's "you already have an account" mail (sign in or reset the password)."""
    from allauth.account.adapter import get_adapter

    get_adapter(request).send_account_already_exists_mail(email)


def welcome_email_queue(*, user: User) -> None:
    from accounts.tasks import send_welcome_email

    # In the language the person signed up in, unless they chose one.
    language = translation.get_language()
    transaction.on_commit(lambda: send_welcome_email.delay(user.pk, language))


def user_authenticate(
    *, email: str, password: str, request: HttpRequest, code: str | None = None
) -> User:
    """The active user with these credentials, or InvalidCredentials (no hint which was
    wrong). The sign-in guard (accounts.signin, through Django's authenticate) refuses a
    caller who failed too often: SignInLocked (429). An account with two-factor sign-in
    also needs `code` (from the authenticator app, or a recovery code)."""
    email = email.strip().lower()
    user = authenticate(request, email=email, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise SignInLocked(wait=max(1, lockout_seconds_left(request, {"email": email})))
        raise InvalidCredentials()
    try:
        _second_factor_check(user=user, code=code)
    except SecondFactorInvalid:
        signin_failed(request, email)  # a wrong code counts as a failed sign-in
        raise
    signin_succeeded(request, email)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    user_card_forget(user.pk)  # (an update sends no signal: core.security.jwt)
    return user


def _second_factor_check(*, user: User, code: str | None) -> None:
    """allauth.mfa's own check of a TOTP or recovery code (rate-limited per user)."""
    from allauth.mfa.base.forms import BaseAuthenticateForm
    from allauth.mfa.utils import is_mfa_enabled

    if not is_mfa_enabled(user):
        if mfa_required_but_missing(user):
            raise SecondFactorSetupRequired()
        return
    if not code:
        raise SecondFactorRequired()
    form = BaseAuthenticateForm(data={"code": code}, user=user)
    if not form.is_valid():
        raise SecondFactorInvalid()
    form.authenticator.record_usage()


def user_require_verified_email(*, user: User) -> None:
    """Checkout and other commitments need a verified address: EmailNotVerified otherwise."""
    if not user_email_verified(user=user):
        raise EmailNotVerified()


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    preferences: dict[str, bool] | None = None,
    language: str | None = None,
) -> User:
    """Change names, merge `preferences` key by key, and set the language the shop and
    its mail speak to the person (one of LANGUAGES; "" for their browser's)."""
    if language is not None:
        codes = [code for code, _name in settings.LANGUAGES]
        if language not in ("", *codes):
            message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(codes)}
            raise DomainValidationError(message, fields={"language": [message]})
        user.language = language
    if first_name is not None:
        user.first_name = first_name.strip()
    if last_name is not None:
        user.last_name = last_name.strip()
    for name, value in (preferences or {}).items():
        if name not in PREFERENCE_FIELDS:
            message = _("Unknown preference. Known: %(names)s.") % {
                "names": ", ".join(PREFERENCE_FIELDS)
            }
            raise DomainValidationError(message, fields={f"preferences.{name}": [message]})
        setattr(user, name, bool(value))
    user.save()
    return user


STAFF_EDITABLE_FIELDS = ("first_name", "last_name", "is_active", "is_staff")


def _require_may_change(*, by: User | None, user: User, fields) -> None:
    if by is not None and not may_change_user(by, user, fields):
        if user.is_superuser or user.is_staff:
            detail = _("Only a superuser may change a staff or superuser account.")
        elif set(fields) & PRIVILEGE_FIELDS:
            detail = _("Only a superuser may grant or take staff rights.")
        else:
            detail = _("You do not have permission to change accounts.")
        raise NotPermitted(detail)


@transaction.atomic
def user_update_by_staff(*, user: User, data: dict[str, Any], by: User | None) -> User:
    """Staff change a user's names, activity and staff flag (accounts.policies decides
    who may change which); switching an account off ends its sessions."""
    changes = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in data.items()
        if name in STAFF_EDITABLE_FIELDS and getattr(user, name) != value
    }
    _require_may_change(by=by, user=user, fields=changes)
    for name, value in changes.items():
        setattr(user, name, value)
    if changes:
        user.save(update_fields=[*changes])
    if not user.is_active and "is_active" in changes:
        user_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User | None) -> User:
    """Staff switch an account off: no login, no valid token."""
    if user.is_active:
        _require_may_change(by=by, user=user, fields={"is_active"})
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_tokens_revoke(user=user)
    return user


def user_sign_out(*, user: User, refresh: str, access: Any = None) -> None:
    """End one API session: blacklist its refresh token (which must be `user`'s) and
    deny its access token (a simplejwt token object; None when signed in otherwise)."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise InvalidToken(_("This refresh token belongs to another session."))
    token.blacklist()
    if access is not None:
        token_deny(access)
    signals.sessions_ended.send(sender=User, user=user)


def user_tokens_revoke(*, user: User) -> None:
    """Blacklist every refresh token the user holds, so that no API session survives."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    signals.sessions_ended.send(sender=User, user=user)


@transaction.atomic
def user_erase(*, user: User, password: str) -> None:
    """The person deletes their account: personal data goes, orders stay for the books.

    The row itself stays (orders point at it) but holds nothing personal and cannot log in.
    """
    if not user.check_password(password):
        message = _("The password is not correct.")
        raise DomainValidationError(message, fields={"password": [message]})
    user_tokens_revoke(user=user)
    user.addresses.all().delete()
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    user.email = erased_email(user.pk)
    user.first_name = ""
    user.last_name = ""
    user.marketing_emails = False
    user.order_updates = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.erased_at = timezone.now()
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    from accounts.signals import user_erased

    user_erased.send(sender=User, user=user)


# --- Passwords -----------------------------------------------------------------------


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        message = _("The current password is not correct.")
        raise DomainValidationError(message, fields={"old_password": [message]})
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_tokens_revoke(user=user)


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to the account with this address, if there is one.

    The caller answers the same either way, so that nobody learns who has an account.
    """
    user = user_get_by_email(email=email)
    if user is None or not user.is_active:
        return
    from accounts.tasks import send_password_reset_email

    language = translation.get_language()
    transaction.on_commit(lambda: send_password_reset_email.delay(user.pk, language))


def password_reset_token_make(*, user: User) -> tuple[str, str]:
    """The (uid, token) pair of a reset link: Django's urlsafe base64 uid and token generator."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def password_reset_user(*, uid: str, token: str) -> User:
    """The user a reset link is for, or InvalidResetToken."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
        user = User.objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist) as exc:
        raise InvalidResetToken() from exc
    if not default_token_generator.check_token(user, token):
        raise InvalidResetToken()
    return user


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working (the token
    hashes the password) and every API session is revoked."""
    user = password_reset_user(uid=uid, token=token)
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_tokens_revoke(user=user)
    return user


# --- Email verification --------------------------------------------------------------


@transaction.atomic
def email_verify(*, key: str, request: HttpRequest | None = None) -> EmailAddress:
    """Confirm an address from the key in the mailed link (allauth's keys, so the same
    link works on the page and in the API)."""
    confirmation = EmailConfirmationHMAC.from_key(key) or EmailConfirmation.from_key(key)
    if confirmation is None:
        raise InvalidVerificationKey()
    address = confirmation.confirm(request)
    if address is None:
        raise InvalidVerificationKey()
    return address


# --- Address book --------------------------------------------------------------------


def _address_clear_default(*, user: User, keep: Address | None = None) -> None:
    others = Address.objects.filter(user=user, is_default=True)
    if keep is not None and keep.pk:
        others = others.exclude(pk=keep.pk)
    others.update(is_default=False)


@transaction.atomic
def address_create(*, user: User, data: dict[str, Any]) -> Address:
    """Add an address; the first one, or one marked default, becomes the default."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one writer per address book
    address = Address(user=user, **{name: data[name] for name in ADDRESS_FIELDS if name in data})
    has_default = Address.objects.filter(user=user, is_default=True).exists()
    address.is_default = bool(data.get("is_default")) or not has_default
    if address.is_default:
        _address_clear_default(user=user)
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_update(*, address: Address, data: dict[str, Any]) -> Address:
    User.objects.select_for_update().filter(pk=address.user_id).first()
    for name in ADDRESS_FIELDS:
        if name in data:
            setattr(address, name, data[name])
    if data.get("is_default"):
        _address_clear_default(user=address.user, keep=address)
        address.is_default = True
    elif "is_default" in data and address.is_default:
        message = _("Choose another default address instead of unsetting this one.")
        raise DomainValidationError(message, fields={"is_default": [message]})
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_set_default(*, address: Address) -> Address:
    return address_update(address=address, data={"is_default": True})


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Remove an address; if it was the default, the newest remaining one takes over."""
    user = address.user
    User.objects.select_for_update().filter(pk=user.pk).first()
    was_default = address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-created_at", "-id").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])


# --- Demo / operators ----------------------------------------------------------------


@transaction.atomic
def users_ensure_verified(
    *, people: list[tuple[str, str, str]], password_hash: str
) -> tuple[list[User], int]:
    """Accounts (email, first name, last name) with a verified address, all with one
    already-hashed password; made in bulk and sending no mail (demo data, imports).
    Answers the users in the order given and how many were new."""
    emails = [email.strip().lower() for email, _first, _last in people]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [
        User(email=email, first_name=first, last_name=last, password=password_hash)
        for email, (_email, first, last) in zip(emails, people, strict=True)
        if email not in existing
    ]
    User.objects.bulk_create(missing)
    User.objects.filter(email__in=emails).update(password=password_hash, is_active=True)
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    for user in users.values():
        user_card_forget(user.pk)  # their password changed by an update (no signal)
    addresses = EmailAddress.objects.filter(user__in=users.values(), email__in=emails)
    addresses.update(verified=True, primary=True)
    listed = set(addresses.values_list("email", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in users.values()
        if user.email not in listed
    )
    return [users[email] for email in emails], len(missing)


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
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def user_ensure_verified(*, email: str, password: str | None = None) -> tuple[User, bool]:
    """The active account with this address, created when missing, its address marked
    verified (an operator vouches for it); `password` (checked by the password rules) is
    set when given, else a new account gets no usable password (a reset link sets one).
    Answers (user, created); sends no mail."""
    from django.core.validators import validate_email

    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        message = _("Enter a valid email address.")
        raise DomainValidationError(message, fields={"email": [message]}) from exc
    _validate_email_deliverable(email)
    user = user_get_by_email(email=email)
    created = user is None
    if user is None:
        user = User(email=email)
    elif not user.is_active:
        message = _("This account is deactivated: staff must reactivate it first.")
        raise DomainValidationError(message, fields={"email": [message]})
    if password is not None:
        _validate_password(password, user=user, field="password")
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created
