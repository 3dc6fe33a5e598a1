"""Who may do what to shops (see docs/architecture.md, "Policies").

Anyone with a verified email address may open a shop. A shop's owners change its
details and may close it; platform staff with Django's `shops.change_shop` change any
shop, approve new ones and close or reopen any. A shop that staff closed, or one still
awaiting approval, opens again only through staff.
"""

from __future__ import annotations

from django.conf import settings

from accounts.policies import staff_may
from accounts.selectors import user_email_verified
from shops.models import Shop
from shops.selectors import user_is_owner


def approval_required() -> bool:
    """New shops wait for platform staff (SHOPS_REQUIRE_APPROVAL, on in production)."""
    return bool(getattr(settings, "SHOPS_REQUIRE_APPROVAL", True))


def may_open_shop(user) -> bool:
    """Sellers are who they say they are: an active account with a verified address."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user_email_verified(user=user)
    )


def may_change_any_shop(user) -> bool:
    return staff_may(user, "shops.change_shop")


def may_open_shops_for_others(user) -> bool:
    """Platform staff who add shops (Django's `shops.add_shop`): approved at once."""
    return staff_may(user, "shops.add_shop")


def may_view_inactive_shops(user) -> bool:
    return staff_may(user, "shops.view_shop") or may_change_any_shop(user)


def may_manage_shop(user, shop: Shop) -> bool:
    """Change the shop's details and its members: its owners, and staff."""
    return may_change_any_shop(user) or user_is_owner(user=user, shop=shop)


def may_set_shop_active(user, shop: Shop, active: bool) -> bool:
    """Closing: owners and staff. Opening: staff always (approving a new shop, reopening
    one); owners only a shop they closed themselves, once it was approved."""
    if may_change_any_shop(user):
        return True
    if not user_is_owner(user=user, shop=shop):
        return False
    if not active:
        return True
    return shop.approved_at is not None and not shop.closed_by_staff
