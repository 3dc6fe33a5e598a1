"""Reads of promotions: a code's offer as the cart prices it, who sees which
promotions, the redemptions of orders and the usage of codes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Q,
    QuerySet,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from catalog.pricing import targets_reach
from catalog.selectors import category_descendant_ids
from promotions import policies
from promotions.models import Promotion, Redemption, Voucher

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


@dataclass(frozen=True)
class Offer:
    """What one code gives and to which lines: the input of cart.pricing."""

    promotion_id: int
    voucher_id: int
    code: str
    label: str
    shop_id: int | None  # the promotion's shop; None: the platform's
    reward: str
    value: Decimal
    min_subtotal: Decimal | None = None
    category_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    variant_ids: frozenset[int] = frozenset()
    shop_ids: frozenset[int] = frozenset()

    @property
    def frees_shipping(self) -> bool:
        return self.reward == Promotion.Reward.FREE_SHIPPING

    def reaches(self, *, shop_id: int, category_id: int | None, product_id, variant_id) -> bool:
        """Whether a line of this product and variant is one the code applies to."""
        return targets_reach(
            scope_shop_id=self.shop_id,
            shop_ids=self.shop_ids,
            category_ids=self.category_ids,
            product_ids=self.product_ids,
            variant_ids=self.variant_ids,
            shop_id=shop_id,
            category_id=category_id,
            product_id=product_id,
            variant_id=variant_id,
        )


def with_targets(promotions: Iterable[Promotion]) -> None:
    """Load the promotions' chosen categories, products, variants and shops (4 queries)."""
    prefetch_related_objects(list(promotions), "categories", "products", "variants", "shops")


def targets_of(promotion: Promotion) -> dict[str, frozenset[int]]:
    """The ids a promotion names (its targets loaded: with_targets), its categories with
    their sub-categories."""
    categories: set[int] = set()
    for category in promotion.categories.all():
        categories.update(category_descendant_ids(category.pk))
    return {
        "category_ids": frozenset(categories),
        "product_ids": frozenset(p.pk for p in promotion.products.all()),
        "variant_ids": frozenset(v.pk for v in promotion.variants.all()),
        "shop_ids": frozenset(s.pk for s in promotion.shops.all()),
    }


def offer_of(voucher: Voucher) -> Offer:
    """`voucher`'s offer; its promotion's targets loaded (with_targets) or read here."""
    promotion = voucher.promotion
    return Offer(
        promotion_id=promotion.pk,
        voucher_id=voucher.pk,
        code=voucher.code,
        label=promotion.name,
        shop_id=promotion.shop_id,
        reward=promotion.reward,
        value=promotion.value,
        min_subtotal=promotion.min_subtotal,
        **targets_of(promotion),
    )


def normalize_code(code: str) -> str:
    return "".join(str(code or "").split()).upper()


def voucher_find(code: str) -> Voucher | None:
    code = normalize_code(code)
    if not code or len(code) > 40:
        return None
    return Voucher.objects.select_related("promotion").filter(code=code).first()


# --- What the orders app knows -----------------------------------------------------------

# Whether a customer has placed an order (not cancelled) before: the orders app, which
# sits above this one, registers it (orders.apps) for "first order only" codes.
_order_history: list[Callable[[int], bool]] = []


def register_order_history(check: Callable[[int], bool]) -> None:
    if check not in _order_history:
        _order_history.append(check)


def customer_has_ordered(user_id: int) -> bool:
    return any(check(user_id) for check in _order_history)


def redemption_held(*, promotion_id: int, user_id: int) -> bool:
    """`user` holds a use of the promotion (an order not cancelled unpaid)."""
    return Redemption.objects.filter(
        promotion_id=promotion_id, user_id=user_id, released_at__isnull=True
    ).exists()


def redemptions_of_orders(order_ids: Iterable) -> dict:
    """{order id: [its redemptions]} in one query, released ones included (the order
    was discounted when placed)."""
    found: dict = {}
    for redemption in Redemption.objects.filter(order_id__in=list(order_ids)).order_by(
        "created_at", "id"
    ):
        found.setdefault(redemption.order_id, []).append(redemption)
    return found


# --- Staff and owners ---------------------------------------------------------------------


def promotion_list(*, user) -> QuerySet[Promotion]:
    """The promotions `user` runs: all for staff who see promotions, else their shops'."""
    promotions = (
        Promotion.objects.select_related("shop")
        .annotate(code_count=Count("vouchers"))
        .order_by("-created_at", "-id")
    )
    if policies.may_view_any_promotion(user):
        return promotions
    return promotions.filter(shop_id__in=policies.readable_shop_ids(user))


def voucher_list(*, user) -> QuerySet[Voucher]:
    vouchers = Voucher.objects.select_related("promotion__shop")
    if policies.may_view_any_promotion(user):
        return vouchers
    return vouchers.filter(promotion__shop_id__in=policies.readable_shop_ids(user))


def voucher_usage(vouchers: QuerySet[Voucher]) -> QuerySet[Voucher]:
    """Each code with its orders (uses held: orders not cancelled unpaid), the discount
    they gave and their revenue (the orders' totals at checkout)."""
    held = Q(redemptions__released_at__isnull=True)
    return vouchers.annotate(
        orders=Count("redemptions", filter=held),
        discount_given=Coalesce(Sum("redemptions__amount", filter=held), ZERO, output_field=MONEY),
        revenue=Coalesce(Sum("redemptions__order_total", filter=held), ZERO, output_field=MONEY),
    )
