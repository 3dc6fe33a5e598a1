"""Who may change where and how a shop ships: its members, and platform staff with
Django's `shipping.change_shippingzone`."""

from __future__ import annotations

from accounts.policies import staff_may
from shops.selectors import user_is_member


def may_change_any_shipping(user) -> bool:
    return staff_may(user, "shipping.change_shippingzone")


def may_manage_shipping(user, shop) -> bool:
    return may_change_any_shipping(user) or user_is_member(user=user, shop=shop)
