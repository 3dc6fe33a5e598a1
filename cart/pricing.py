"""The one function that prices a basket: lines, shipping per shop, tax and the total
(see docs/architecture.md, "Totals"). The cart's estimate, the checkout and the order it
writes all come from `basket_totals`; the order page, its emails, the admin and the API
show what the order stored from it.

- Each shop's lines travel as one parcel: its shipping options come from the shipping
  app (cheapest first), and the shopper picks one per shop (the estimate takes the
  cheapest).
- Tax is per line and per shipping charge, rounded half-up to the cent each time
  (taxes.services.tax_amount), at the rates of the shipping address.
- total = subtotal + shipping + tax - discounts when prices exclude tax;
  subtotal + shipping - discounts when they include it (the tax is inside them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from core.errors import DomainValidationError
from shipping.exceptions import NotShippable
from shipping.selectors import Parcel, ShippingOption, shipping_options
from taxes.selectors import tax_settings
from taxes.services import tax_amount, tax_rates_for

ZERO = Decimal("0.00")


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

    @classmethod
    def of_variant(cls, variant, quantity: int, ref: object = None) -> LineInput:
        product = variant.product
        return cls(
            ref=ref if ref is not None else variant.pk,
            shop_id=product.shop_id,
            shop_name=product.shop.name,
            name=product.name + (f" ({variant.options_text})" if variant.options_text else ""),
            unit_price=variant.price,
            quantity=quantity,
            tax_class=variant.effective_tax_class,
            unit_weight_kg=variant.shipping_weight_kg,
        )


@dataclass
class PricedLine:
    line: LineInput
    line_total: Decimal
    tax_rate: Decimal
    tax_amount: Decimal


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

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), self.tax_amount)


@dataclass
class BasketTotals:
    country: str
    region: str
    prices_include_tax: bool
    shipping_tax_class: str
    groups: list[ShopShipping] = field(default_factory=list)
    discount_total: Decimal = ZERO
    currency: str = settings.DEFAULT_CURRENCY

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


def basket_totals(
    *,
    lines: Iterable[LineInput],
    country: str,
    region: str = "",
    chosen: dict[int, int] | None = None,
    strict: bool = False,
) -> BasketTotals:
    """Price `lines` for delivery to `country` (and `region`).

    `chosen`: {shop id: method id} the shopper picked; a shop left out gets its cheapest
    option. `strict` (checkout): a shop with no option for the address raises
    NotShippable (409 `not_shippable`), and a chosen method that shop does not offer for
    the address is a validation error; otherwise (the estimate) such a shop has no
    method and adds no shipping.
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
        line_total = line.unit_price * line.quantity
        rate = rates[line.tax_class]
        by_shop.setdefault(line.shop_id, []).append(
            PricedLine(
                line=line,
                line_total=line_total,
                tax_rate=rate,
                tax_amount=tax_amount(
                    amount=line_total, rate=rate, prices_include_tax=config.prices_include_tax
                ),
            )
        )
    parcels = [
        Parcel(
            shop_id=shop_id,
            subtotal=sum((priced.line_total for priced in priced_lines), ZERO),
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
            "A shipping method was chosen for a shop with nothing in the cart.",
            fields={f"shipping_methods.{shop_id}": ["No line of the cart is from this shop."]},
        )
    shipping_rate = rates[config.shipping_tax_class]
    for parcel in parcels:
        priced_lines = by_shop[parcel.shop_id]
        group = ShopShipping(
            shop_id=parcel.shop_id,
            shop_name=priced_lines[0].line.shop_name,
            lines=priced_lines,
            subtotal=parcel.subtotal,
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
                    message = "This shop offers no such method for this address."
                    raise DomainValidationError(
                        f"{group.shop_name}: {message}",
                        fields={f"shipping_methods.{parcel.shop_id}": [message]},
                    )
                group.method = group.options[0]
        group.price = group.method.price
        group.tax_rate = shipping_rate
        group.tax_amount = tax_amount(
            amount=group.price, rate=shipping_rate, prices_include_tax=config.prices_include_tax
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
    refunded: Decimal = ZERO,
) -> list[TotalsRow]:
    """The rows of figures the cart, the checkout, an order's page, its emails and the
    admin show, in one order and with one wording: subtotal, shipping per shop (`shipping`
    as (shop name, method name, price)), discounts, tax (added, or included), total."""
    rows = [TotalsRow("subtotal", "Subtotal", subtotal)]
    for shop_name, method_name, price in shipping:
        label = f"Shipping, {shop_name}" + (f" ({method_name})" if method_name else "")
        rows.append(TotalsRow("shipping", label, price))
    if discount_total:
        rows.append(TotalsRow("discount", "Discounts", -discount_total))
    if not prices_include_tax:
        rows.append(TotalsRow("tax", "Tax", tax_total))
    rows.append(TotalsRow("total", "Total", total))
    if prices_include_tax:
        rows.append(TotalsRow("tax_included", "Including tax", tax_total))
    if refunded:
        rows.append(TotalsRow("refunded", "Refunded", refunded))
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
        total=totals.total,
    )
