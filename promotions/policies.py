"""Who may run promotions: platform staff with Django's permissions on promotions run
any (and the platform's own); a shop's owners run their shop's."""

from __future__ import annotations

from accounts.policies import staff_may
from shops.models import ShopMembership
from shops.selectors import user_is_owner, user_shop_ids


def may_change_any_promotion(user) -> bool:
    return staff_may(user, "promotions.change_promotion")


def may_view_any_promotion(user) -> bool:
    return staff_may(user, "promotions.view_promotion") or may_change_any_promotion(user)


def may_manage_promotions(user, shop) -> bool:
    """Promotions of `shop` (None: the platform's)."""
    if may_change_any_promotion(user):
        return True
    return shop is not None and user_is_owner(user=user, shop=shop)


def managed_shop_ids(user) -> set[int]:
    """The shops whose promotions `user` runs as an owner."""
    return user_shop_ids(user=user, roles=(ShopMembership.Role.OWNER,))


def readable_shop_ids(user) -> set[int]:
    """The shops whose promotions and codes `user` reads: every shop they are a member
    of (as the admin shows them); changing them is for its owners."""
    return user_shop_ids(user=user)
