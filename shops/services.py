"""Writes and business rules of the shops app (see CONVENTIONS.md)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import User
from accounts.selectors import user_get_by_email
from config.errors import DomainValidationError
from shops.exceptions import LastOwner, ShopPermissionDenied
from shops.models import Shop, ShopMembership
from shops.selectors import user_is_owner

SHOP_FIELDS = ("name", "description", "address", "email", "phone", "low_stock_threshold")


def unique_slug(model, value: str, *, max_length: int = 200, **scope: Any) -> str:
    """A slug of `value` not yet used by `model` (within `scope`), suffixed -2, -3, ..."""
    base = slugify(value)[: max_length - 8].strip("-") or "item"
    slug, counter = base, 2
    while model.objects.filter(slug=slug, **scope).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def shop_create(*, owner: User, data: dict[str, Any]) -> Shop:
    """Open a shop; the person who opens it becomes its owner."""
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainValidationError(
            "A shop needs a name.", fields={"name": ["A shop needs a name."]}
        )
    shop = Shop(**{field: data[field] for field in SHOP_FIELDS if field in data})
    shop.name = name
    shop.slug = data.get("slug") or unique_slug(Shop, name)
    shop.full_clean()
    shop.save()
    ShopMembership.objects.create(shop=shop, user=owner, role=ShopMembership.Role.OWNER)
    return shop


def _require_owner(*, by: User | None, shop: Shop) -> None:
    """`by` None is a trusted caller (the admin, a task); otherwise owners and staff only."""
    if by is not None and not user_is_owner(user=by, shop=shop):
        raise ShopPermissionDenied()


@transaction.atomic
def shop_update(*, shop: Shop, data: dict[str, Any], by: User | None = None) -> Shop:
    """Change a shop's details; when `by` is given, only its owners (or platform staff) may."""
    _require_owner(by=by, shop=shop)
    for field in (*SHOP_FIELDS, "is_active"):
        if field in data:
            setattr(
                shop, field, data[field].strip() if isinstance(data[field], str) else data[field]
            )
    shop.full_clean()
    shop.save()
    return shop


@transaction.atomic
def shop_deactivate(*, shop: Shop, by: User | None = None) -> Shop:
    """The shop and its products leave the catalog; members still see them.

    When `by` is given, only the shop's owners (or platform staff) may.
    """
    _require_owner(by=by, shop=shop)
    shop.is_active = False
    shop.save(update_fields=["is_active", "updated_at"])
    return shop


@transaction.atomic
def membership_add(
    *, shop: Shop, email: str, role: str = ShopMembership.Role.STAFF, by: User
) -> ShopMembership:
    """An owner adds a person, by the email address of their account, as staff or owner."""
    if not user_is_owner(user=by, shop=shop):
        raise ShopPermissionDenied()
    if role not in ShopMembership.Role.values:
        raise DomainValidationError("Unknown role.", fields={"role": ["Choose owner or staff."]})
    user = user_get_by_email(email=email)
    if user is None or not user.is_active:
        message = "No account uses this address: ask them to sign up first."
        raise DomainValidationError(message, fields={"email": [message]})
    try:
        with transaction.atomic():
            membership, created = ShopMembership.objects.get_or_create(
                shop=shop, user=user, defaults={"role": role}
            )
    except IntegrityError:  # added at the same moment by another owner
        membership, created = ShopMembership.objects.get(shop=shop, user=user), False
    if not created and membership.role != role:
        _check_owner_left(shop=shop, leaving=membership if role != "owner" else None)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def _check_owner_left(*, shop: Shop, leaving: ShopMembership | None) -> None:
    if leaving is None or leaving.role != ShopMembership.Role.OWNER:
        return
    owners = ShopMembership.objects.select_for_update().filter(
        shop=shop, role=ShopMembership.Role.OWNER
    )
    if owners.exclude(pk=leaving.pk).count() == 0:
        raise LastOwner()


@transaction.atomic
def membership_remove(*, membership: ShopMembership, by: User) -> None:
    """An owner removes someone; a member may leave. The last owner cannot go."""
    if membership.user_id != by.pk and not user_is_owner(user=by, shop=membership.shop):
        raise ShopPermissionDenied()
    _check_owner_left(shop=membership.shop, leaving=membership)
    membership.delete()
