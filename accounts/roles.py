"""The roles a person holds: customer (everyone), shop owner/staff, platform staff.

Shop roles come from the shops app, which sits beside accounts and may not be
imported here: it registers a provider at start-up (see shops/apps.py). A provider
answers for one user, and can annotate a queryset so that a list asks once.
"""

from collections.abc import Iterable
from typing import Protocol

from django.db.models import QuerySet

CUSTOMER = "customer"
SHOP_OWNER = "shop_owner"
SHOP_STAFF = "shop_staff"
STAFF = "staff"
ALL_ROLES = (CUSTOMER, SHOP_OWNER, SHOP_STAFF, STAFF)


class RoleProvider(Protocol):
    def __call__(self, user) -> Iterable[str]: ...

    def annotate(self, queryset: QuerySet) -> QuerySet: ...


_providers: list[RoleProvider] = []


def register_role_provider(provider: RoleProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def annotate_roles(queryset: QuerySet) -> QuerySet:
    """Let every provider add what it needs to answer for each row without a query."""
    for provider in _providers:
        annotate = getattr(provider, "annotate", None)
        if annotate is not None:
            queryset = annotate(queryset)
    return queryset


def user_roles(user) -> list[str]:
    """The roles of `user`, in the order of ALL_ROLES."""
    if not getattr(user, "is_authenticated", False):
        return []
    held = {CUSTOMER}
    for provider in _providers:
        held.update(provider(user))
    if user.is_staff:
        held.add(STAFF)
    return [role for role in ALL_ROLES if role in held]
