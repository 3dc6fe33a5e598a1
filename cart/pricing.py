"""The one function that prices a basket: lines, shipping per shop, tax and the total
(see docs/architecture.md, "Totals"). The cart's estimate, the checkout and the order it
writes all come from `basket_totals`; the order page, its emails, the admin and the API
show what the order stored from it.

- Each shop's lines travel as one parcel: its shipping options come from the shipping
  app (cheapest first), and the shopper picks one per shop (the estimate takes the
  cheapest).
- Discount codes (promotions.selectors.Offer) come off the lines they reach, after the
  sale prices (already the lines' unit prices, catalog.pricing): each shop's codes
  first, then the platform's, each spread over its lines in proportion to what is left
  of them, the cents of rounding on the largest line, never below zero
  (`spread`). Free-shipping codes come off the shipping charges last.
- Tax is per line and per shipping charge on what is left after discounts, rounded
  half-up to the cent each time (taxes.services.tax_amount), at the rates of the
  shipping address.
- total = subtotal + shipping + tax - discounts when prices exclude tax;
  subtotal + shipping - discounts when they include it (the tax is inside them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.errors import DomainValidationError
from promotions.exceptions import VoucherNotApplicable
from promotions.selectors import Offer
from shipping.exceptions import NotShippable
from shipping.selectors import Parcel, ShippingOption, shipping_options
from taxes.selectors import tax_settings
from taxes.services import round_half_up, tax_amount, tax_rates_for

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineInput:
    """One line to price: what was chosen, at what unit price, and how it is taxed and
    weighed. `ref` is the caller's own handle on it (a cart item, a variant id)."""

    ref: object
    shop_id: int
    shop_name: str
    name: str
    unit_price: Decimal
    quantity: int
    tax_class: str
    unit_weight_kg: Decimal = Decimal("0")
    product_id: int | None = None
    variant_id: int | None = None
    category_id: int | None = None

    @classmethod
    def of_variant(
        cls, variant, quantity: int, ref: object = None, unit_price: Decimal | None = None
    ) -> LineInput:
        """`unit_price`: the price charged (a sale's, catalog.pricing), else the variant's."""
        product = variant.product
        return cls(
            ref=ref if ref is not None else variant.pk,
            shop_id=product.shop_id,
            shop_name=product.shop.name,
            name=product.name + (f" ({variant.options_text})" if variant.options_text else ""),
            unit_price=variant.price if unit_price is None else unit_price,
            quantity=quantity,
            tax_class=variant.effective_tax_class,
            unit_weight_kg=variant.shipping_weight_kg,
            product_id=product.pk,
            variant_id=variant.pk,
            category_id=product.category_id,
        )


@dataclass
class PricedLine:
    line: LineInput
    line_total: Decimal
    tax_rate: Decimal = ZERO
    tax_amount: Decimal = ZERO
    discount: Decimal = ZERO  # its share of the codes' discounts
    platform_discount: Decimal = ZERO  # the part of it the platform's codes gave

    @property
    def net(self) -> Decimal:
        """What is left of the line after discounts (what its tax is on)."""
        return self.line_total - self.discount


@dataclass
class AppliedDiscount:
    """One code as the basket took it: what it gave, or why it gives nothing
    (`problem`: no_eligible_line, minimum_not_reached; `detail` in words)."""

    offer: Offer
    amount: Decimal = ZERO
    problem: str = ""
    detail: str = ""
    reached_shops: set[int] = field(default_factory=set)  # shops with lines it reaches

    @property
    def code(self) -> str:
        return self.offer.code

    @property
    def label(self) -> str:
        return self.offer.label


@dataclass
class ShopShipping:
    """One shop's part: its lines, its options and the one chosen (None: none ships).
    Shops come in the order of their names, as an order's shipments do."""

    shop_id: int
    shop_name: str
    lines: list[PricedLine]
    subtotal: Decimal
    weight_kg: Decimal
    options: list[ShippingOption]
    method: ShippingOption | None = None
    price: Decimal = ZERO
    tax_rate: Decimal = ZERO
    tax_amount: Decimal = ZERO
    discount: Decimal = ZERO  # of the shipping charge (a free-shipping code)
    platform_discount: Decimal = ZERO  # the part of it a platform code gave

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), self.tax_amount)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), self.discount)


@dataclass
class BasketTotals:
    country: str
    region: str
    prices_include_tax: bool
    shipping_tax_class: str
    groups: list[ShopShipping] = field(default_factory=list)
    discounts: list[AppliedDiscount] = field(default_factory=list)
    currency: str = settings.DEFAULT_CURRENCY

    @property
    def discount_total(self) -> Decimal:
        return sum((group.discount_total for group in self.groups), ZERO)

    @property
    def lines(self) -> list[PricedLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def subtotal(self) -> Decimal:
        return sum((group.subtotal for group in self.groups), ZERO)

    @property
    def shipping_total(self) -> Decimal:
        return sum((group.price for group in self.groups), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((group.tax_total for group in self.groups), ZERO)

    @property
    def total(self) -> Decimal:
        total = self.subtotal + self.shipping_total - self.discount_total
        return total if self.prices_include_tax else total + self.tax_total

    @property
    def shippable(self) -> bool:
        return all(group.method is not None for group in self.groups)

    def unshippable(self) -> list[ShopShipping]:
        return [group for group in self.groups if group.method is None]


def _not_shippable(group: ShopShipping, detail: str = "") -> NotShippable:
    return NotShippable(
        shop_id=group.shop_id,
        shop_name=group.shop_name,
        lines=[{"ref": str(priced.line.ref), "name": priced.line.name} for priced in group.lines],
        detail=detail,
    )


def spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` shared over lines in proportion to `weights` (what is left of each):
    each share rounded down to the cent, the cents left on the largest line, then (when
    that line has no room left) on the next largest. No share exceeds its weight; the
    shares add up to `amount` (at most the weights' sum)."""
    whole = sum(weights, ZERO)
    amount = min(amount, whole)
    if amount <= 0 or whole <= 0:
        return [ZERO for _weight in weights]
    shares = [(amount * weight / whole).quantize(CENT, rounding=ROUND_DOWN) for weight in weights]
    left = amount - sum(shares, ZERO)
    for index in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        if left <= 0:
            break
        extra = min(left, weights[index] - shares[index])
        shares[index] += extra
        left -= extra
    return shares


def _sorted_offers(offers: Iterable[Offer]) -> list[Offer]:
    """Each shop's codes first (they reach their shop's lines), the platform's last."""
    return sorted(offers, key=lambda o: (o.shop_id is None, o.shop_id or 0, o.code))


def _apply_offer(offer: Offer, lines: list[PricedLine]) -> AppliedDiscount:
    applied = AppliedDiscount(offer=offer)
    eligible = [
        priced
        for priced in lines
        if offer.reaches(
            shop_id=priced.line.shop_id,
            category_id=priced.line.category_id,
            product_id=priced.line.product_id,
            variant_id=priced.line.variant_id,
        )
    ]
    applied.reached_shops = {priced.line.shop_id for priced in eligible}
    if not eligible:
        applied.problem = "no_eligible_line"
        applied.detail = _("%(code)s applies to none of the items in your cart.") % {
            "code": offer.code
        }
        return applied
    reached = sum((priced.line_total for priced in eligible), ZERO)
    if offer.min_subtotal is not None and reached < offer.min_subtotal:
        applied.problem = "minimum_not_reached"
        applied.detail = _(
            "%(code)s needs %(minimum)s of the items it applies to; your cart has %(reached)s."
        ) % {
            "code": offer.code,
            "minimum": f"{offer.min_subtotal:.2f}",
            "reached": f"{reached:.2f}",
        }
        return applied
    if offer.frees_shipping:
        return applied  # the shipping charges come off once they are known
    left = sum((priced.net for priced in eligible), ZERO)
    if offer.reward == "percentage":
        amount = round_half_up(left * offer.value / Decimal(100))
    else:
        amount = offer.value
    shares = spread(amount, [priced.net for priced in eligible])
    for priced, share in zip(eligible, shares, strict=True):
        priced.discount += share
        if offer.shop_id is None:
            priced.platform_discount += share
    applied.amount = sum(shares, ZERO)
    return applied


def basket_totals(
    *,
    lines: Iterable[LineInput],
    country: str,
    region: str = "",
    chosen: dict[int, int] | None = None,
    strict: bool = False,
    offers: Iterable[Offer] = (),
) -> BasketTotals:
    """Price `lines` for delivery to `country` (and `region`), with the discount codes
    `offers`.

    `chosen`: {shop id: method id} the shopper picked; a shop left out gets its cheapest
    option. `strict` (checkout): a shop with no option for the address raises
    NotShippable (409 `not_shippable`), a chosen method that shop does not offer for
    the address is a validation error, and a code that gives nothing raises
    VoucherNotApplicable; otherwise (the estimate) such a shop has no method and adds no
    shipping, and such a code is listed with its problem.
    """
    lines = list(lines)
    config = tax_settings()
    country = (country or "").upper()
    chosen = dict(chosen or {})
    totals = BasketTotals(
        country=country,
        region=region or "",
        prices_include_tax=config.prices_include_tax,
        shipping_tax_class=config.shipping_tax_class,
    )
    rates = tax_rates_for(
        country=country,
        region=region,
        tax_classes={line.tax_class for line in lines} | {config.shipping_tax_class},
    )
    by_shop: dict[int, list[PricedLine]] = {}
    for line in lines:
        by_shop.setdefault(line.shop_id, []).append(
            PricedLine(line=line, line_total=line.unit_price * line.quantity)
        )
    every_line = [priced for priced_lines in by_shop.values() for priced in priced_lines]
    for offer in _sorted_offers(offers):
        applied = _apply_offer(offer, every_line)
        if applied.problem and strict:
            raise VoucherNotApplicable(applied.detail, voucher=offer.code, reason=applied.problem)
        totals.discounts.append(applied)
    for priced in every_line:
        priced.tax_rate = rates[priced.line.tax_class]
        priced.tax_amount = tax_amount(
            amount=priced.net, rate=priced.tax_rate, prices_include_tax=config.prices_include_tax
        )
    parcels = [
        Parcel(
            shop_id=shop_id,
            # What the shopper pays for the goods: a "free above" threshold counts that.
            subtotal=sum((priced.net for priced in priced_lines), ZERO),
            weight_kg=sum(
                (priced.line.unit_weight_kg * priced.line.quantity for priced in priced_lines),
                Decimal("0"),
            ),
        )
        for shop_id, priced_lines in sorted(
            by_shop.items(), key=lambda item: (item[1][0].line.shop_name, item[0])
        )
    ]
    options = shipping_options(parcels=parcels, country=country, region=region) if country else {}
    unknown = set(chosen) - set(by_shop)
    if strict and unknown:
        shop_id = sorted(unknown)[0]
        raise DomainValidationError(
            _("A shipping method was chosen for a shop with nothing in the cart."),
            fields={f"shipping_methods.{shop_id}": [_("No line of the cart is from this shop.")]},
        )
    shipping_rate = rates[config.shipping_tax_class]
    for parcel in parcels:
        priced_lines = by_shop[parcel.shop_id]
        group = ShopShipping(
            shop_id=parcel.shop_id,
            shop_name=priced_lines[0].line.shop_name,
            lines=priced_lines,
            subtotal=sum((priced.line_total for priced in priced_lines), ZERO),
            weight_kg=parcel.weight_kg,
            options=options.get(parcel.shop_id, []),
        )
        totals.groups.append(group)
        if not group.options:
            if strict:
                raise _not_shippable(group)
            continue
        wanted = chosen.get(parcel.shop_id)
        if wanted is None:
            group.method = group.options[0]
        else:
            group.method = next((o for o in group.options if o.method_id == wanted), None)
            if group.method is None:
                if strict:
                    message = _("This shop offers no such method for this address.")
                    raise DomainValidationError(
                        # Translators: a shop's name, then why it cannot ship.
                        _("%(shop)s: %(message)s") % {"shop": group.shop_name, "message": message},
                        fields={f"shipping_methods.{parcel.shop_id}": [message]},
                    )
                group.method = group.options[0]
        group.price = group.method.price
    for applied in totals.discounts:
        if applied.offer.frees_shipping and not applied.problem:
            # The shipping of each shop with a line the code reaches (a shop's code:
            # that shop's; a platform code: those of the shops, categories... it names).
            for group in totals.groups:
                if group.shop_id in applied.reached_shops:
                    freed = group.price - group.discount
                    group.discount += freed
                    applied.amount += freed
                    if applied.offer.shop_id is None:
                        group.platform_discount += freed
    for group in totals.groups:
        if group.method is not None:
            group.tax_rate = shipping_rate
            group.tax_amount = tax_amount(
                amount=group.price - group.discount,
                rate=shipping_rate,
                prices_include_tax=config.prices_include_tax,
            )
    return totals


# --- What every face shows ---------------------------------------------------------------


@dataclass(frozen=True)
class TotalsRow:
    kind: str  # subtotal, shipping, discount, tax, tax_included, total, refunded
    label: str
    amount: Decimal


def totals_rows(
    *,
    subtotal: Decimal,
    shipping: Iterable[tuple[str, str, Decimal]],
    tax_total: Decimal,
    prices_include_tax: bool,
    total: Decimal,
    discount_total: Decimal = ZERO,
    discounts: Iterable[tuple[str, str, Decimal]] = (),
    refunded: Decimal = ZERO,
) -> list[TotalsRow]:
    """The rows of figures the cart, the checkout, an order's page, its emails and the
    admin show, in one order and with one wording: subtotal, shipping per shop (`shipping`
    as (shop name, method name, price)), discounts (one row per code of `discounts`, as
    (code, label, amount), else one of `discount_total`), tax (added, or included), total."""
    rows = [TotalsRow("subtotal", _("Subtotal"), subtotal)]
    for shop_name, method_name, price in shipping:
        if method_name:
            label = _("Shipping, %(shop)s (%(method)s)") % {
                "shop": shop_name,
                "method": method_name,
            }
        else:
            label = _("Shipping, %(shop)s") % {"shop": shop_name}
        rows.append(TotalsRow("shipping", label, price))
    discounts = [(code, label, amount) for code, label, amount in discounts if amount]
    for code, label, amount in discounts:
        if label:
            text = _("Discount %(code)s (%(label)s)") % {"code": code, "label": label}
        else:
            text = _("Discount %(code)s") % {"code": code}
        rows.append(TotalsRow("discount", text, -amount))
    if discount_total and not discounts:
        rows.append(TotalsRow("discount", _("Discounts"), -discount_total))
    if not prices_include_tax:
        rows.append(TotalsRow("tax", _("Tax"), tax_total))
    rows.append(TotalsRow("total", _("Total"), total))
    if prices_include_tax:
        rows.append(TotalsRow("tax_included", _("Including tax"), tax_total))
    if refunded:
        rows.append(TotalsRow("refunded", pgettext("amount", "Refunded"), refunded))
    return rows


def basket_rows(totals: BasketTotals) -> list[TotalsRow]:
    return totals_rows(
        subtotal=totals.subtotal,
        shipping=[
            (group.shop_name, group.method.name if group.method else "", group.price)
            for group in totals.groups
        ],
        tax_total=totals.tax_total,
        prices_include_tax=totals.prices_include_tax,
        discount_total=totals.discount_total,
        discounts=[(d.code, d.label, d.amount) for d in totals.discounts],
        total=totals.total,
    )
