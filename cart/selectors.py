"""Reads of the cart: the lines with current prices, totals and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cart.exceptions import quoted_product
from cart.models import Cart, CartItem, CartVoucher
from cart.pricing import BasketTotals, LineInput, basket_totals
from catalog.models import ProductImage, ProductOptionValue, ProductVariant
from catalog.pricing import apply_sale_prices
from catalog.selectors import variant_for_sale, variant_is_for_sale
from core import generations
from promotions.exceptions import VoucherError
from promotions.selectors import Offer, offer_of, with_targets
from promotions.services import voucher_problem


@dataclass
class CartLine:
    item: CartItem
    available: bool
    unit_price: Decimal
    line_total: Decimal
    notice: str = ""

    @property
    def product(self):
        return self.item.product

    @property
    def variant(self):
        return self.item.variant

    @property
    def options(self) -> dict[str, str]:
        """{option name: value} of the line's variant, in the options' order."""
        return {value.option.name: value.value for value in self.item.variant.option_values.all()}

    @property
    def image(self):
        """The variant's picture, else the product's first."""
        if self.item.variant.image_id:
            return self.item.variant.image
        images = list(self.item.product.images.all())
        return images[0] if images else None


@dataclass
class CartSummary:
    cart: Cart | None
    lines: list[CartLine] = field(default_factory=list)
    currency: str = settings.DEFAULT_CURRENCY
    # The cart's discount codes the shopper may use now, and those no longer usable
    # (expired, used up meanwhile: shown as notices, left out of the totals).
    offers: list[Offer] = field(default_factory=list)
    voucher_problems: list[VoucherError] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines if line.available), Decimal("0.00"))

    @property
    def total_items(self) -> int:
        return sum(line.item.quantity for line in self.lines if line.available)

    @property
    def notices(self) -> list[dict]:
        return [
            {
                "item_id": line.item.pk,
                "product_id": line.item.product_id,
                "variant_id": line.item.variant_id,
                "detail": line.notice,
            }
            for line in self.lines
            if line.notice
        ]

    @property
    def has_problems(self) -> bool:
        return any(
            not line.available or line.item.quantity > line.variant.stock_quantity
            for line in self.lines
        )


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def cart_summary(*, cart: Cart | None) -> CartSummary:
    """The cart as the shopper sees it, in a fixed number of queries."""
    if cart is None:
        return CartSummary(cart=None)
    items = (
        CartItem.objects.filter(cart=cart)
        .select_related("variant__image", "product__shop", "product__category")
        .prefetch_related(
            Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch(
                "variant__option_values",
                queryset=ProductOptionValue.objects.select_related("option").order_by(
                    "option__position", "option_id"
                ),
            ),
        )
        .order_by("added_at", "id")
    )
    items = list(items)
    for item in items:
        item.variant.product = item.product  # the same row: no second read
    # The prices of the running sales (catalog.pricing), as checkout charges them.
    apply_sale_prices(item.variant for item in items)
    lines = []
    for item in items:
        product, variant = item.product, item.variant
        available = variant_is_for_sale(variant)
        name = quoted_product(product.name, variant.options_text)
        notice = ""
        if not available:
            notice = _("%(product)s is no longer for sale: remove it to check out.") % {
                "product": name
            }
        elif item.quantity > variant.stock_quantity:
            notice = (
                ngettext(
                    "Only %(available)d of %(product)s left: lower the quantity.",
                    "Only %(available)d of %(product)s left: lower the quantity.",
                    variant.stock_quantity,
                )
                % {"available": variant.stock_quantity, "product": name}
                if variant.stock_quantity
                else _("%(product)s is out of stock: remove it to check out.") % {"product": name}
            )
        elif variant.price != item.price_when_added:
            prices = {
                "product": name,
                "before": _money(item.price_when_added),
                "now": _money(variant.price),
            }
            if variant.price < item.price_when_added:
                notice = (
                    _(
                        "The price of %(product)s dropped from %(before)s to %(now)s since you "
                        "added it."
                    )
                    % prices
                )
            else:
                notice = (
                    _(
                        "The price of %(product)s went up from %(before)s to %(now)s since you "
                        "added it."
                    )
                    % prices
                )
        lines.append(
            CartLine(
                item=item,
                available=available,
                unit_price=variant.price,
                line_total=variant.price * item.quantity,
                notice=notice,
            )
        )
    summary = CartSummary(cart=cart, lines=lines)
    _add_vouchers(summary, cart)
    return summary


def _add_vouchers(summary: CartSummary, cart: Cart) -> None:
    """The cart's codes: one query, and four more (their targets) when it has any."""
    entries = list(
        CartVoucher.objects.filter(cart=cart).select_related("voucher__promotion").order_by("id")
    )
    if not entries:
        return
    with_targets({entry.voucher.promotion for entry in entries})
    now = timezone.now()
    for entry in entries:
        promotion = entry.voucher.promotion
        # A code that starts or ends later changes the cart then: a cached cart stops
        # being true at that moment (core.generations).
        for moment in (promotion.starts_at, promotion.ends_at):
            if moment is not None and moment > now:
                generations.valid_until(moment)
        problem = voucher_problem(entry.voucher, user_id=cart.user_id)
        if problem is None:
            summary.offers.append(offer_of(entry.voucher))
        else:
            summary.voucher_problems.append(problem)


def variant_purchasable(*, variant_id: int) -> ProductVariant | None:
    """The variant, fresh (with its product and shop, at the running sales' price), if it
    is for sale: what the cart adds (hand it to `cart.services.cart_add_item` with
    `fresh=True`)."""
    return (
        ProductVariant.objects.filter(variant_for_sale(), pk=variant_id)
        .select_related("product__shop")
        .priced()
        .first()
    )


def cart_item_get(*, cart: Cart, item_id: int) -> CartItem | None:
    return (
        CartItem.objects.filter(cart=cart, pk=item_id)
        .select_related("product", "variant__product")
        .first()
    )


def cart_contents(
    *, user=None, cart_id: int | None = None, token_key: str = ""
) -> tuple[int, frozenset[int]]:
    """A cart (by its owner, a guest cart's id or its token's digest): the number of items for
    sale and their products, in one query (what cart_count counts, and what the pages'
    recommendations leave out)."""
    items = CartItem.objects.filter(variant_for_sale("variant__"))
    if user is not None:
        items = items.filter(cart__user=user)
    elif cart_id is not None:
        items = items.filter(cart_id=cart_id, cart__user__isnull=True)
    elif token_key:
        items = items.filter(cart__token_hash=token_key, cart__user__isnull=True)
    else:
        return 0, frozenset()
    rows = list(items.values_list("variant__product_id", "quantity"))
    return sum(quantity for _product, quantity in rows), frozenset(p for p, _q in rows)


def cart_find_for_user(*, user) -> Cart | None:
    """The person's cart if they have one (reading never creates it)."""
    return Cart.objects.filter(user=user).first()


def cart_totals(
    *,
    summary: CartSummary,
    country: str,
    region: str = "",
    chosen: dict[int, int] | None = None,
    offers: list[Offer] | None = None,
) -> BasketTotals:
    """The cart's figures for delivery to `country` (cart.pricing.basket_totals, as
    checkout computes them): each shop's options and the cheapest (or `chosen`) one, its
    codes (`offers`, else the summary's), tax and total. Lines no longer for sale are
    left out, as checkout refuses them."""
    return basket_totals(
        lines=[
            LineInput.of_variant(line.variant, line.item.quantity, ref=line.item.pk)
            for line in summary.lines
            if line.available
        ],
        country=country,
        region=region,
        chosen=chosen,
        offers=summary.offers if offers is None else offers,
    )


# --- Wishlists ----------------------------------------------------------------------


@dataclass
class SavedItem:
    product: object
    variant: object | None
    added_at: object = None

    @property
    def price(self) -> Decimal:
        return self.variant.price if self.variant is not None else self.product.price

    @property
    def in_stock(self) -> bool:
        return (self.variant or self.product).stock_quantity > 0


def wishlist_items(*, user=None, session=None) -> list[SavedItem]:
    """The saved items still for sale, newest first, at today's prices (sales included):
    a signed-in person's, or a guest's in the session. A fixed number of queries."""
    from cart.models import WishlistItem
    from cart.services import WISHLIST_SESSION_KEY
    from catalog.models import ProductVariant
    from catalog.selectors import product_cards, product_list_public

    if user is not None and user.is_authenticated:
        entries = [
            (item.product_id, item.variant_id, item.added_at)
            for item in WishlistItem.objects.filter(user=user).order_by("-added_at", "-id")
        ]
    else:
        saved = (session or {}).get(WISHLIST_SESSION_KEY, [])
        entries = [(product_id, variant_id, None) for product_id, variant_id in reversed(saved)]
    if not entries:
        return []
    products = {
        product.pk: product
        for product in product_cards(product_list_public().filter(pk__in={e[0] for e in entries}))
    }
    variant_ids = {e[1] for e in entries if e[1]}
    variants = (
        {
            v.pk: v
            for v in ProductVariant.objects.filter(
                pk__in=variant_ids, deleted_at__isnull=True, is_active=True
            )
            .select_related("product")
            .priced()
        }
        if variant_ids
        else {}
    )
    items = []
    for product_id, variant_id, added_at in entries:
        product = products.get(product_id)
        if product is None or (variant_id and variant_id not in variants):
            continue
        items.append(
            SavedItem(product=product, variant=variants.get(variant_id), added_at=added_at)
        )
    return items
