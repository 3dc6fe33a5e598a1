"""Writes and business rules of the shops app (see docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.exceptions import EmailNotVerified
from accounts.models import User
from accounts.selectors import user_get_by_email
from core.errors import DomainValidationError
from shops import policies
from shops.exceptions import LastOwner, ShopPermissionDenied
from shops.models import Shop, ShopMembership
from shops.signals import shop_opened

SHOP_FIELDS = (
    "name",
    "description",
    "address",
    "email",
    "phone",
    "low_stock_threshold",
    "return_window_days",
    "return_instructions",
)


def unique_slug(model, value: str, *, max_length: int = 200, **scope: Any) -> str:
    """A slug of `value` not yet used by `model` (within `scope`), suffixed -2, -3, ..."""
    base = slugify(value)[: max_length - 8].strip("-") or "item"
    slug, counter = base, 2
    while model.objects.filter(slug=slug, **scope).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def shop_create(*, owner: User | None, data: dict[str, Any], by: User | None = None) -> Shop:
    """Open a shop owned by `owner`.

    `by` is who asks: the owner opening their own shop (their email address must be
    verified, and the shop waits for approval when SHOPS_REQUIRE_APPROVAL is on), or
    platform staff (approved at once). None is a trusted caller (an operator's command,
    the demo data): approved at once. Staff (or a trusted caller) may open a shop without
    an owner, and add its owners as members next (the admin does).
    """
    name = (data.get("name") or "").strip()
    if not name:
        message = _("A shop needs a name.")
        raise DomainValidationError(message, fields={"name": [message]})
    vouched = by is None or policies.may_open_shops_for_others(by)
    if owner is None and not vouched:
        raise ShopPermissionDenied(_("Only platform staff open a shop without an owner."))
    if not vouched:
        if by.pk != owner.pk:
            raise ShopPermissionDenied(_("Only platform staff open shops for someone else."))
        if not policies.may_open_shop(owner):
            raise EmailNotVerified(_("Verify your email address before you open a shop."))
    shop = Shop(**{field: data[field] for field in SHOP_FIELDS if field in data})
    shop.name = name
    shop.slug = data.get("slug") or unique_slug(Shop, name)
    if vouched or not policies.approval_required():
        shop.approved_at = timezone.now()
    else:
        shop.is_active = False  # until platform staff approve it
    shop.full_clean()
    shop.save()
    if owner is not None:
        ShopMembership.objects.create(shop=shop, user=owner, role=ShopMembership.Role.OWNER)
    # Shipping (above shops) gives the shop its first zone: a signal, not a call.
    shop_opened.send(sender=Shop, shop=shop)
    return shop


def _require_manager(*, by: User | None, shop: Shop) -> None:
    """`by` None is a trusted caller (a task, a command); otherwise owners and staff only."""
    if by is not None and not policies.may_manage_shop(by, shop):
        raise ShopPermissionDenied()


def _set_active(*, shop: Shop, active: bool, by: User | None) -> list[str]:
    """Open or close `shop` as `by` may (shops.policies.may_set_shop_active): staff
    opening a shop approve it; staff closing one keep its owners from reopening it.
    Answers the fields it changed."""
    by_staff = by is not None and policies.may_change_any_shop(by)
    if active == shop.is_active:
        if not active and by_staff and not shop.closed_by_staff:
            shop.closed_by_staff = True  # closed already by its owners: now staff's too
            return ["closed_by_staff"]
        return []
    if by is not None and not policies.may_set_shop_active(by, shop, active):
        if shop.approved_at is None:
            raise ShopPermissionDenied(_("This shop opens once platform staff approve it."))
        raise ShopPermissionDenied(_("Platform staff closed this shop: only they may reopen it."))
    shop.is_active = active
    changed = ["is_active", "closed_by_staff"]
    shop.closed_by_staff = not active and by_staff
    if active and shop.approved_at is None:
        shop.approved_at = timezone.now()
        changed.append("approved_at")
    return changed


@transaction.atomic
def shop_update(*, shop: Shop, data: dict[str, Any], by: User | None = None) -> Shop:
    """Change a shop's details (its owners, or platform staff); `is_active` opens or
    closes it as shops.policies.may_set_shop_active allows."""
    _require_manager(by=by, shop=shop)
    for field in SHOP_FIELDS:
        if field in data:
            setattr(
                shop, field, data[field].strip() if isinstance(data[field], str) else data[field]
            )
    if "is_active" in data:
        _set_active(shop=shop, active=bool(data["is_active"]), by=by)
    shop.full_clean()
    shop.save()
    return shop


@transaction.atomic
def shop_deactivate(*, shop: Shop, by: User | None = None) -> Shop:
    """The shop and its products leave the catalog; members still see them.

    When `by` is given, only the shop's owners (or platform staff) may.
    """
    _require_manager(by=by, shop=shop)
    changed = _set_active(shop=shop, active=False, by=by)
    if changed:
        shop.save(update_fields=[*changed, "updated_at"])
    return shop


@transaction.atomic
def shop_approve(*, shop: Shop, by: User | None) -> Shop:
    """Platform staff approve a shop awaiting approval (or reopen a closed one)."""
    if by is not None and not policies.may_change_any_shop(by):
        raise ShopPermissionDenied(_("Only platform staff approve shops."))
    changed = _set_active(shop=shop, active=True, by=by)
    if changed:
        shop.save(update_fields=[*changed, "updated_at"])
    return shop


@transaction.atomic
def membership_add(
    *, shop: Shop, email: str, role: str = ShopMembership.Role.STAFF, by: User
) -> ShopMembership:
    """An owner adds a person, by the email address of their account, as staff or owner."""
    if not policies.may_manage_shop(by, shop):
        raise ShopPermissionDenied()
    if role not in ShopMembership.Role.values:
        raise DomainValidationError(
            _("Unknown role."), fields={"role": [_("Choose owner or staff.")]}
        )
    user = user_get_by_email(email=email)
    if user is None or not policies.may_open_shop(user):
        message = _(
            "No account uses this address (confirmed): ask them to sign up and confirm "
            "their address first."
        )
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
    if membership.user_id != by.pk and not policies.may_manage_shop(by, membership.shop):
        raise ShopPermissionDenied()
    _check_owner_left(shop=membership.shop, leaving=membership)
    membership.delete()


@transaction.atomic
def shop_set_commission_rate(*, shop: Shop, rate, by: User | None) -> Shop:
    """The platform's commission on this shop's sales, in percent (None: the platform's
    PLATFORM_COMMISSION_RATE): platform staff who change shops."""
    if by is not None and not policies.may_change_any_shop(by):
        raise ShopPermissionDenied(_("Only platform staff set a shop's commission."))
    if rate is not None and not (0 <= rate <= 100):
        message = _("A commission is a percentage from 0 to 100.")
        raise DomainValidationError(message, fields={"commission_rate": [message]})
    shop.commission_rate = rate
    shop.save(update_fields=["commission_rate", "updated_at"])
    return shop
