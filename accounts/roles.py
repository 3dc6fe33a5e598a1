"""The roles a person holds: customer (everyone), shop owner/staff, platform staff.

Shop roles come from the shops app, which sits beside accounts and may not be
imported here: it registers a provider at start-up (see shops/apps.py).
"""

from collections.abc import Callable, Iterable

CUSTOMER = "customer"
SHOP_OWNER = "shop_owner"
SHOP_STAFF = "shop_staff"
STAFF = "staff"
ALL_ROLES = (CUSTOMER, SHOP_OWNER, SHOP_STAFF, STAFF)

RoleProvider = Callable[[object], Iterable[str]]
_providers: list[RoleProvider] = []


def register_role_provider(provider: RoleProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


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
