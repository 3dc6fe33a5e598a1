"""Who may do what to the catalog (see docs/architecture.md, "Policies").

A shop's members (owners and staff) manage its products. Platform staff do so in any
shop, and manage categories and moderate reviews, through Django's model permissions
(the ones the catalog admin asks): `catalog.add_product`, `change_product`,
`delete_product`, `add_category`, ..., `change_review`, `delete_review`.
"""

from __future__ import annotations

from accounts.policies import staff_may
from shops.selectors import user_is_member


def may_manage_products(user, shop, action: str = "change") -> bool:
    """`action` ("add", "change" or "delete") products of `shop` (a Shop or its id)."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    return staff_may(user, f"catalog.{action}_product") or user_is_member(user=user, shop=shop_id)


def may_view_all_products(user) -> bool:
    """Unpublished products of every shop (a shop's own members see theirs anyway)."""
    return staff_may(user, "catalog.view_product") or staff_may(user, "catalog.change_product")


def may_manage_categories(user, action: str = "change") -> bool:
    return staff_may(user, f"catalog.{action}_category")


def may_manage_tags(user, action: str = "change") -> bool:
    return staff_may(user, f"catalog.{action}_tag")


def may_moderate_review(user, review, action: str = "change") -> bool:
    """Its author changes or deletes a review; so do staff with the permission."""
    return review.user_id == user.pk or staff_may(user, f"catalog.{action}_review")
