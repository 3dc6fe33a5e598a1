"""Who may do what to accounts (see docs/architecture.md, "Policies").

Services enforce these; the API, the pages and the admin ask them only to decide what
to show. Platform staff hold Django's model permissions (the ones the admin asks):
`staff_may` is the one test of them, which every app's policies build on.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

# Fields that change what an account may do: only a superuser changes them.
PRIVILEGE_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


def mfa_required_but_missing(user) -> bool:
    """Staff must use a second factor (STAFF_REQUIRE_MFA, on in production) and `user`,
    platform staff, has none set up yet. Asked once per user object."""
    if not (getattr(user, "is_staff", False) and getattr(settings, "STAFF_REQUIRE_MFA", False)):
        return False
    missing = getattr(user, "_mfa_missing", None)
    if missing is None:
        from allauth.mfa.utils import is_mfa_enabled

        missing = user._mfa_missing = not is_mfa_enabled(user)
    return missing


def staff_may(user, *permissions: str) -> bool:
    """`user` is active platform staff holding every one of `permissions`
    ("app_label.codename"); a superuser holds them all. Staff who must use a second
    factor and have not set it up hold none. Anyone else: False."""
    if not (
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    ):
        return False
    if mfa_required_but_missing(user):
        return False
    return all(user.has_perm(permission) for permission in permissions)


def may_view_users(user) -> bool:
    return staff_may(user, "accounts.view_user")


def may_change_users(user) -> bool:
    """May change some accounts at all (which ones and which fields: `may_change_user`)."""
    return staff_may(user, "accounts.change_user")


def may_change_user(user, target, fields: Iterable[str] = ()) -> bool:
    """`user` may change these `fields` of `target`.

    Staff with `accounts.change_user` change customers' accounts (names, switching them
    off); only a superuser changes a staff or superuser account at all (its password,
    address, activity), or grants or takes staff and superuser rights, groups and
    permissions.
    """
    if not may_change_users(user):
        return False
    if user.is_superuser:
        return True
    return not (target.is_superuser or target.is_staff or set(fields) & PRIVILEGE_FIELDS)


def may_delete_user(user, target) -> bool:
    """Deleting an account (the admin's; the API only switches accounts off): staff with
    `accounts.delete_user`, never a staff or superuser account unless a superuser."""
    if not staff_may(user, "accounts.delete_user"):
        return False
    return user.is_superuser or not (target.is_superuser or target.is_staff)
