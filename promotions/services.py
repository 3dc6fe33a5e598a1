"""Writes of promotions and the rules of using a code.

Promotions and their codes are written by platform staff (the platform's, and any
shop's) and a shop's owners (their shop's), checked by promotions.policies. A code is
checked when a shopper adds it to a cart (`voucher_check`) and again at checkout under
row locks (`vouchers_hold`), where its use is taken (`redemptions_record`) in the
order's own transaction: a code with 50 uses left gives exactly 50 orders, however many
shoppers try at once. A cancelled or expired unpaid order gives its uses back
(`redemptions_release`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from catalog.models import Category, Product, ProductVariant
from core.errors import DomainValidationError
from promotions import policies
from promotions.caching import promotions_changed
from promotions.exceptions import (
    PromotionPermissionDenied,
    VoucherAlreadyUsed,
    VoucherError,
    VoucherExpired,
    VoucherNotApplicable,
    VoucherUnknown,
    VoucherUsedUp,
)
from promotions.models import Promotion, Redemption, Voucher
from promotions.selectors import (
    Offer,
    customer_has_ordered,
    normalize_code,
    offer_of,
    redemption_held,
    with_targets,
)
from shops.models import Shop

MAX_AMOUNT = Decimal("9999999999.99")
MAX_USES = 2**31 - 1  # what a use counter holds
MAX_GENERATED = 10_000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a newsletter
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _invalid(field: str, message: str) -> DomainValidationError:
    return DomainValidationError(message, fields={field: [message]})


def _require(by: User | None, shop: Shop | None) -> None:
    """`by` None is a trusted caller (a command, the demo data)."""
    if by is not None and not policies.may_manage_promotions(by, shop):
        raise PromotionPermissionDenied()


def _amount(value, field: str, *, most: Decimal = MAX_AMOUNT) -> Decimal:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError) as exc:
        raise _invalid(field, _("“%(value)s” is not a number.") % {"value": value}) from exc
    if not number.is_finite() or not Decimal(0) <= number <= most:
        raise _invalid(field, _("A number from 0 to %(most)s.") % {"most": most})
    return number.quantize(Decimal("0.01"))


# --- Promotions ---------------------------------------------------------------------------

SCALARS = (
    "name",
    "kind",
    "reward",
    "value",
    "starts_at",
    "ends_at",
    "min_subtotal",
    "first_order_only",
    "once_per_customer",
    "usage_limit",
    "is_active",
)
TARGETS = {"categories": Category, "products": Product, "variants": ProductVariant, "shops": Shop}


def _clean(
    data: dict[str, Any], *, shop: Shop | None, promotion: Promotion | None
) -> tuple[dict, dict]:
    def value(field: str, default=None):
        return data[field] if field in data else getattr(promotion, field, default)

    name = (value("name", "") or "").strip()
    if not name:
        raise _invalid("name", _("A promotion needs a name (shoppers see it)."))
    kind = value("kind", Promotion.Kind.CODE)
    if kind not in Promotion.Kind.values:
        raise _invalid("kind", _("“%(kind)s” is not a kind of promotion.") % {"kind": kind})
    if promotion is not None and kind != promotion.kind:
        raise _invalid("kind", _("A code promotion cannot become a sale, nor a sale a code."))
    reward = value("reward", Promotion.Reward.PERCENTAGE)
    if reward not in Promotion.Reward.values:
        raise _invalid("reward", _("“%(reward)s” is not a kind of reward.") % {"reward": reward})
    if kind == Promotion.Kind.SALE and reward == Promotion.Reward.FREE_SHIPPING:
        raise _invalid("reward", _("A sale lowers prices: a percentage or an amount off."))
    amount = _amount(value("value", 0) or 0, "value")
    if reward == Promotion.Reward.PERCENTAGE and not Decimal(0) < amount <= Decimal(100):
        raise _invalid("value", _("A percentage from 0 to 100."))
    if reward == Promotion.Reward.FIXED and amount <= 0:
        raise _invalid("value", _("An amount above 0."))
    if reward == Promotion.Reward.FREE_SHIPPING:
        amount = Decimal("0.00")
    starts_at, ends_at = value("starts_at"), value("ends_at")
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment is not None and not isinstance(moment, datetime):
            raise _invalid(field, _("A date and time."))
    if starts_at and ends_at and ends_at <= starts_at:
        raise _invalid("ends_at", _("A promotion ends after it starts."))
    if kind == Promotion.Kind.SALE and (starts_at is None or ends_at is None):
        raise _invalid("ends_at" if starts_at else "starts_at", _("A sale runs between two times."))
    minimum = value("min_subtotal")
    if minimum is not None:
        minimum = _amount(minimum, "min_subtotal")
    usage_limit = value("usage_limit")
    if usage_limit is not None:
        usage_limit = int(_amount(usage_limit, "usage_limit", most=Decimal(MAX_USES)))
        if usage_limit < (promotion.used_count if promotion else 0):
            raise _invalid(
                "usage_limit",
                ngettext(
                    "It was used %(count)d times already.",
                    "It was used %(count)d times already.",
                    promotion.used_count,
                )
                % {"count": promotion.used_count},
            )
    fields = {
        "name": name[:120],
        "kind": kind,
        "reward": reward,
        "value": amount,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "min_subtotal": minimum,
        "first_order_only": bool(value("first_order_only", False)),
        "once_per_customer": bool(value("once_per_customer", False)),
        "usage_limit": usage_limit,
        "is_active": bool(value("is_active", True)),
    }
    if kind == Promotion.Kind.SALE:
        fields.update(min_subtotal=None, first_order_only=False, once_per_customer=False)
        fields["usage_limit"] = None
    targets: dict[str, list] = {}
    for field, model in TARGETS.items():
        if field not in data:
            continue
        ids = sorted({int(getattr(item, "pk", item)) for item in data[field] or []})
        found = model.objects.filter(pk__in=ids)
        if field == "shops" and ids and shop is not None:
            raise _invalid("shops", _("A shop's promotion reaches that shop alone."))
        if shop is not None and field == "products":
            found = found.filter(shop=shop)
        if shop is not None and field == "variants":
            found = found.filter(product__shop=shop)
        found = list(found)
        if len(found) != len(ids):
            missing = sorted(set(ids) - {item.pk for item in found})
            ids_text = ", ".join(map(str, missing))
            if shop is not None and field != "categories":
                # Translators: `field` is the API's name of the list (products, variants...).
                message = _("No such %(field)s of this shop: %(ids)s.")
            else:
                message = _("No such %(field)s: %(ids)s.")
            raise _invalid(field, message % {"field": field, "ids": ids_text})
        targets[field] = found
    return fields, targets


def _changed(promotion: Promotion) -> None:
    """A sale's change reaches the catalog's prices (promotions.sales)."""
    if promotion.kind == Promotion.Kind.SALE:
        from promotions.sales import sales_changed

        sales_changed()


@transaction.atomic
def promotion_create(*, shop: Shop | None, data: dict[str, Any], by: User | None) -> Promotion:
    """A promotion of `shop` (None: the platform's), with its first code if
    `data["code"]` names one."""
    _require(by, shop)
    fields, targets = _clean(data, shop=shop, promotion=None)
    promotion = Promotion.objects.create(shop=shop, created_by=by, **fields)
    for field, items in targets.items():
        getattr(promotion, field).set(items)
    if data.get("code") and promotion.kind == Promotion.Kind.CODE:
        voucher_create(promotion=promotion, code=data["code"], by=None)
    _changed(promotion)
    return promotion


@transaction.atomic
def promotion_update(*, promotion: Promotion, data: dict[str, Any], by: User | None) -> Promotion:
    _require(by, promotion.shop)
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    fields, targets = _clean(data, shop=promotion.shop, promotion=promotion)
    for field, value in fields.items():
        setattr(promotion, field, value)
    promotion.save()
    for field, items in targets.items():
        getattr(promotion, field).set(items)
    _changed(promotion)
    return promotion


@transaction.atomic
def promotion_delete(*, promotion: Promotion, by: User | None) -> None:
    """Only a promotion no order used: one that was used is ended (`is_active` off).
    Its row is locked first, as checkout locks it: an order taking a use meanwhile is
    either seen here or waits."""
    _require(by, promotion.shop)
    promotion = Promotion.objects.select_for_update().filter(pk=promotion.pk).first()
    if promotion is None:
        return
    list(Voucher.objects.select_for_update().filter(promotion=promotion).order_by("pk"))
    if Redemption.objects.filter(promotion=promotion).exists():
        raise DomainValidationError(
            _("Orders used this promotion: switch it off instead, so that its report stays.")
        )
    promotion.delete()
    _changed(promotion)


# --- Codes --------------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    cleaned = normalize_code(code)
    if not 3 <= len(cleaned) <= 40 or not set(cleaned) <= CODE_CHARS:
        raise _invalid("code", _("3 to 40 letters, digits, dashes or underscores."))
    return cleaned


def _require_code_promotion(promotion: Promotion) -> None:
    if promotion.kind != Promotion.Kind.CODE:
        raise _invalid("promotion", _("A sale has no codes: it applies by itself."))


def _clean_uses(usage_limit) -> int | None:
    if usage_limit is None:
        return None
    uses = int(_amount(usage_limit, "usage_limit", most=Decimal(MAX_USES)))
    if uses < 1:
        raise _invalid("usage_limit", _("At least 1 use, or none for no limit."))
    return uses


@transaction.atomic
def voucher_create(
    *, promotion: Promotion, code: str, usage_limit: int | None = None, by: User | None
) -> Voucher:
    _require(by, promotion.shop)
    _require_code_promotion(promotion)
    code = _clean_code(code)
    usage_limit = _clean_uses(usage_limit)
    if Voucher.objects.filter(code=code).exists():
        raise _invalid("code", _("The code %(code)s exists already.") % {"code": code})
    try:
        with transaction.atomic():
            return Voucher.objects.create(promotion=promotion, code=code, usage_limit=usage_limit)
    except IntegrityError as exc:  # made by someone else meanwhile
        raise _invalid("code", _("The code %(code)s exists already.") % {"code": code}) from exc


@transaction.atomic
def vouchers_generate(
    *,
    promotion: Promotion,
    count: int,
    prefix: str = "",
    length: int = 10,
    usage_limit: int | None = 1,
    by: User | None,
) -> list[Voucher]:
    """`count` new unique codes (single-use unless `usage_limit` says otherwise), for a
    newsletter: `prefix` then `length` random letters and digits."""
    _require(by, promotion.shop)
    _require_code_promotion(promotion)
    if not 1 <= int(count) <= MAX_GENERATED:
        raise _invalid("count", _("From 1 to %(most)d codes at a time.") % {"most": MAX_GENERATED})
    usage_limit = _clean_uses(usage_limit)
    prefix = normalize_code(prefix)
    if prefix:
        _clean_code(prefix + "XXX")
    if not 6 <= int(length) <= 20 or len(prefix) + int(length) > 40:
        raise _invalid("length", _("6 to 20 random characters, 40 with the prefix."))
    made: list[Voucher] = []
    while len(made) < count:
        wanted = {
            prefix + "".join(secrets.choice(CODE_ALPHABET) for _char in range(length))
            for _code in range(count - len(made))
        }
        wanted -= set(Voucher.objects.filter(code__in=wanted).values_list("code", flat=True))
        made += Voucher.objects.bulk_create(
            [Voucher(promotion=promotion, code=code, usage_limit=usage_limit) for code in wanted],
            ignore_conflicts=True,
        )
    return list(Voucher.objects.filter(code__in=[v.code for v in made]).order_by("id"))


@transaction.atomic
def voucher_update(*, voucher: Voucher, data: dict[str, Any], by: User | None) -> Voucher:
    """A code's limit of uses (not below its uses), and its text while no order used it."""
    _require(by, voucher.promotion.shop)
    Promotion.objects.select_for_update().filter(pk=voucher.promotion_id).first()
    voucher = Voucher.objects.select_for_update().get(pk=voucher.pk)
    if "usage_limit" in data:
        uses = _clean_uses(data["usage_limit"])
        if uses is not None and uses < voucher.used_count:
            raise _invalid(
                "usage_limit",
                ngettext(
                    "It was used %(count)d times already.",
                    "It was used %(count)d times already.",
                    voucher.used_count,
                )
                % {"count": voucher.used_count},
            )
        voucher.usage_limit = uses
    code = _clean_code(data.get("code", voucher.code))
    if code != voucher.code:
        if Redemption.objects.filter(voucher=voucher).exists():
            raise _invalid("code", _("Orders used this code: its text stays."))
        if Voucher.objects.filter(code=code).exists():
            raise _invalid("code", _("The code %(code)s exists already.") % {"code": code})
        voucher.code = code
    voucher.save()
    return voucher


@transaction.atomic
def voucher_delete(*, voucher: Voucher, by: User | None) -> None:
    """Only a code no order used (the report keeps used ones); locked first, in the order
    checkout locks (its promotion, then it)."""
    _require(by, voucher.promotion.shop)
    Promotion.objects.select_for_update().filter(pk=voucher.promotion_id).first()
    if not Voucher.objects.select_for_update().filter(pk=voucher.pk).exists():
        return
    if Redemption.objects.filter(voucher=voucher).exists():
        raise DomainValidationError(_("Orders used this code: it stays for the report."))
    Voucher.objects.filter(pk=voucher.pk).delete()


VOUCHER_CSV_HEADER = [
    "code",
    "promotion",
    "reward",
    "usage_limit",
    "used",
    "valid_from",
    "valid_until",
]


def voucher_csv_rows(vouchers: Iterable[Voucher]):
    """The rows of a codes export (core.csv_export writes them)."""
    for voucher in vouchers:
        promotion = voucher.promotion
        yield [
            voucher.code,
            promotion.name,
            promotion.reward_text,
            "" if voucher.usage_limit is None else voucher.usage_limit,
            voucher.used_count,
            promotion.starts_at.isoformat() if promotion.starts_at else "",
            promotion.ends_at.isoformat() if promotion.ends_at else "",
        ]


# --- Using a code -------------------------------------------------------------------------


def user_id_of(user) -> int | None:
    return user.pk if getattr(user, "is_authenticated", False) else None


def voucher_problem(
    voucher: Voucher, *, user_id: int | None, now: datetime | None = None
) -> VoucherError | None:
    """Why `voucher` cannot be used by the customer `user_id` (None: a guest) now,
    whatever the cart (None: it can).
    Whether it applies to the cart's lines is cart.pricing's to say."""
    now = now or timezone.now()
    promotion = voucher.promotion
    code = voucher.code
    if promotion.kind != Promotion.Kind.CODE:
        return VoucherUnknown(voucher=code)
    if not promotion.is_active or (promotion.ends_at and promotion.ends_at <= now):
        return VoucherExpired(voucher=code)
    if promotion.starts_at and promotion.starts_at > now:
        # Month names in the reader's language (English: 05 Dec 2026, 14:00).
        when = dateformat.format(timezone.localtime(promotion.starts_at), "d M Y, H:i")
        return VoucherNotApplicable(
            _("This discount code is valid from %(when)s.") % {"when": when},
            voucher=code,
            reason="not_started",
        )
    if (voucher.usage_limit is not None and voucher.used_count >= voucher.usage_limit) or (
        promotion.usage_limit is not None and promotion.used_count >= promotion.usage_limit
    ):
        return VoucherUsedUp(voucher=code)
    if promotion.once_per_customer and not user_id:
        # "Once per customer" needs a customer to count: a guest signs in first.
        return VoucherNotApplicable(
            _("Sign in to use this discount code: it may be used once per customer."),
            voucher=code,
            reason="account_required",
        )
    if promotion.once_per_customer and redemption_held(promotion_id=promotion.pk, user_id=user_id):
        return VoucherAlreadyUsed(voucher=code)
    if promotion.first_order_only and (not user_id or customer_has_ordered(user_id)):
        return VoucherNotApplicable(
            _("This discount code is for a first order only."),
            voucher=code,
            reason="first_order_only",
        )
    return None


def voucher_check(*, code: str, user) -> Voucher:
    """The voucher of `code` if `user` may use it now, else its VoucherError."""
    from promotions.selectors import voucher_find

    voucher = voucher_find(code)
    if voucher is None:
        raise VoucherUnknown(voucher=normalize_code(code)[:40])
    problem = voucher_problem(voucher, user_id=user_id_of(user))
    if problem is not None:
        raise problem
    return voucher


def vouchers_hold(*, voucher_ids: Iterable[int], user) -> list[Offer]:
    """At checkout, inside its transaction: lock the codes' promotions and the codes
    (primary-key order, promotions first, so that two checkouts never deadlock), check
    each again, and answer their offers. Raises the first code's VoucherError."""
    voucher_ids = sorted(set(voucher_ids))
    if not voucher_ids:
        return []
    promotion_ids = sorted(
        set(Voucher.objects.filter(pk__in=voucher_ids).values_list("promotion_id", flat=True))
    )
    promotions = {
        p.pk: p
        for p in Promotion.objects.select_for_update().filter(pk__in=promotion_ids).order_by("pk")
    }
    vouchers = list(Voucher.objects.select_for_update().filter(pk__in=voucher_ids).order_by("pk"))
    if len(vouchers) != len(voucher_ids) or any(
        v.promotion_id not in promotions for v in vouchers
    ):  # removed by its promotion's owner meanwhile
        raise VoucherUnknown()
    for voucher in vouchers:
        voucher.promotion = promotions[voucher.promotion_id]
    with_targets(promotions.values())
    now = timezone.now()
    for voucher in vouchers:
        problem = voucher_problem(voucher, user_id=user_id_of(user), now=now)
        if problem is not None:
            raise problem
    return [offer_of(voucher) for voucher in vouchers]


def redemptions_record(
    *, order_id, user, applied: Iterable[tuple[Offer, Decimal]], order_total: Decimal
) -> list[Redemption]:
    """Take one use of each code `applied` (held by `vouchers_hold` in this transaction)
    for the order, with the discount it gave. Answers the redemptions written, in the
    order `redemptions_of_orders` reads them."""
    applied = list(applied)
    if not applied:
        return []
    voucher_ids = [offer.voucher_id for offer, _amount in applied]
    promotion_ids = [offer.promotion_id for offer, _amount in applied]
    Voucher.objects.filter(pk__in=voucher_ids).update(used_count=F("used_count") + 1)
    promotions_changed()  # a code may be used up now
    for promotion_id in sorted(set(promotion_ids)):
        uses = promotion_ids.count(promotion_id)
        Promotion.objects.filter(pk=promotion_id).update(used_count=F("used_count") + uses)
    return Redemption.objects.bulk_create(
        Redemption(
            voucher_id=offer.voucher_id,
            promotion_id=offer.promotion_id,
            user=user if getattr(user, "is_authenticated", False) else None,
            order_id=order_id,
            code=offer.code,
            label=offer.label,
            amount=amount,
            order_total=order_total,
        )
        for offer, amount in applied
    )


def redemptions_release(*, order_id) -> int:
    """The order was cancelled or expired unpaid: its codes' uses are given back (once).
    Answers how many."""
    held = list(
        Redemption.objects.select_for_update()
        .filter(order_id=order_id, released_at__isnull=True)
        .order_by("pk")
    )
    if not held:
        return 0
    # Locked in the order vouchers_hold locks them: promotions, then codes.
    promotion_ids = sorted({r.promotion_id for r in held})
    voucher_ids = sorted({r.voucher_id for r in held})
    list(Promotion.objects.select_for_update().filter(pk__in=promotion_ids).order_by("pk"))
    list(Voucher.objects.select_for_update().filter(pk__in=voucher_ids).order_by("pk"))
    for redemption in held:
        Voucher.objects.filter(pk=redemption.voucher_id, used_count__gt=0).update(
            used_count=F("used_count") - 1
        )
        Promotion.objects.filter(pk=redemption.promotion_id, used_count__gt=0).update(
            used_count=F("used_count") - 1
        )
    Redemption.objects.filter(pk__in=[r.pk for r in held]).update(released_at=timezone.now())
    promotions_changed()  # a code used up may be usable again
    return len(held)
