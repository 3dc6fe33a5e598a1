"""Reads of the shops app: querysets already limited to what the caller may see."""

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from core import generations
from shops.models import Shop, ShopMembership


def shop_list(*, user=None) -> QuerySet[Shop]:
    """Active shops for everyone; members also see their inactive ones, and platform staff
    who may view shops every one."""
    from shops.policies import may_view_inactive_shops

    shops = Shop.objects.all()
    if user is not None and user.is_authenticated:
        if may_view_inactive_shops(user):
            return shops
        return shops.filter(Q(is_active=True) | Q(memberships__user=user)).distinct()
    return shops.filter(is_active=True)


def _memberships_of(user) -> QuerySet[ShopMembership]:
    """The memberships that count: sellers are who they say they are, so a member whose
    current address is not verified manages nothing (in the same query)."""
    return ShopMembership.objects.filter(
        user=user,
        user__emailaddress__verified=True,
        user__emailaddress__email__iexact=F("user__email"),
    )


MEMBERSHIPS_PREFIX = "shops:memberships:"
MEMBERSHIPS_TIMEOUT = 300  # a bound; every change forgets them at once (shops.apps)


def memberships_key(user_id) -> str:
    return f"{MEMBERSHIPS_PREFIX}{user_id}"


def memberships_generation_key(user_id) -> str:
    return f"shops:gen:memberships:{user_id}"


def _held(user) -> list[tuple[int, str]]:
    """(shop id, role) of each membership that counts, cached per person: every signed-in
    request asks (the seller's scope of lists and permissions), and most people hold
    none. They decide who may see and do what, so they are read from the primary (never
    a replica that may not have the change yet) and stored under the person's memberships
    generation as read *before* the read (core.generations): a change committed while
    they were read bumps it, and what was read is never taken as current."""
    key, mark = memberships_key(user.pk), memberships_generation_key(user.pk)
    read = getattr(user, "cache_read", None)  # read with the token's user (core.security.jwt)
    found = read if read and key in read and mark in read else cache.get_many([key, mark])
    token = found.get(mark) or generations.current([mark])[0]
    stored = found.get(key)
    if stored is not None and stored[0] == token:
        return stored[1]
    held = [
        tuple(pair)
        for pair in _memberships_of(user).using(DEFAULT_DB_ALIAS).values_list("shop_id", "role")
    ]
    cache.set(key, (token, held), MEMBERSHIPS_TIMEOUT)
    return held


def memberships_forget(user_id) -> None:
    """A membership, an address or the person changed: their memberships generation is
    bumped now and, in a transaction, at commit (core.generations.bump)."""
    generations.bump([memberships_generation_key(user_id)])


def user_shop_ids(*, user, roles: tuple[str, ...] | None = None) -> set[int]:
    """The shops `user` is a member of (any role, or only `roles`), their address verified."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {shop_id for shop_id, role in _held(user) if not roles or role in roles}


def user_is_member(*, user, shop: Shop | int) -> bool:
    shop_id = shop if isinstance(shop, int) else shop.pk
    return bool(
        getattr(user, "is_authenticated", False)
        and _memberships_of(user).filter(shop_id=shop_id).exists()
    )


def user_is_owner(*, user, shop: Shop) -> bool:
    """`user` holds the owner role of `shop` (a fact; who may manage: shops.policies)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        _memberships_of(user).filter(shop=shop, role=ShopMembership.Role.OWNER).exists()
    )


def shop_members(*, shop: Shop) -> QuerySet[ShopMembership]:
    return ShopMembership.objects.filter(shop=shop).select_related("user")


def shop_owner_emails(*, shop_id: int) -> list[tuple[str, str]]:
    """The shop's active owners: (email address, language preference) each."""
    return list(
        ShopMembership.objects.filter(
            shop_id=shop_id, role=ShopMembership.Role.OWNER, user__is_active=True
        ).values_list("user__email", "user__language")
    )


class ShopRoleProvider:
    """The accounts roles a user holds through shop memberships (see accounts.roles)."""

    def annotate(self, queryset: QuerySet) -> QuerySet:
        memberships = ShopMembership.objects.filter(user_id=OuterRef("pk"))
        return queryset.annotate(
            holds_shop_owner=Exists(memberships.filter(role=ShopMembership.Role.OWNER)),
            holds_shop_staff=Exists(memberships.filter(role=ShopMembership.Role.STAFF)),
        )

    def __call__(self, user) -> set[str]:
        if hasattr(user, "holds_shop_owner"):
            owner, staff = user.holds_shop_owner, user.holds_shop_staff
        else:
            held = set(ShopMembership.objects.filter(user=user).values_list("role", flat=True))
            owner = ShopMembership.Role.OWNER in held
            staff = ShopMembership.Role.STAFF in held
        return {role for role, holds in (("shop_owner", owner), ("shop_staff", staff)) if holds}


shop_role_provider = ShopRoleProvider()


def shop_member_user_ids(*, shop_ids) -> set[int]:
    """The active members of these shops (ids, or a subquery of them: one query)."""
    members = ShopMembership.objects.filter(shop_id__in=shop_ids, user__is_active=True)
    return set(members.values_list("user_id", flat=True).distinct())
