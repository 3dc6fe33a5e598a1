"""The arithmetic of discount codes (issue 18), in cart.pricing: each shop's codes, then
the platform's, spread over the lines they reach in proportion, the cents of rounding
on the largest line; tax on what is left; free shipping last. Every expected figure is
worked out by hand in the comment beside it. Germany: 19% standard, 7% reduced."""

from decimal import Decimal as D

import pytest

from cart.pricing import LineInput, basket_rows, basket_totals, spread
from promotions.exceptions import VoucherNotApplicable
from promotions.selectors import Offer
from shipping.services import shipping_method_create, shipping_zone_create
from taxes.models import TaxSettings
from taxes.services import tax_rates_load_eu
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


def _shop(name: str, price: str):
    shop = ShopFactory(name=name, ships=False)
    zone = shipping_zone_create(shop=shop, data={"name": "DE", "countries": ["DE"]}, by=None)
    shipping_method_create(
        zone=zone, data={"name": "Post", "kind": "flat", "price": price}, by=None
    )
    return shop


def _line(shop, price, quantity=1, tax_class="standard", product_id=None) -> LineInput:
    return LineInput(
        ref=f"{shop.pk}-{price}-{tax_class}",
        shop_id=shop.pk,
        shop_name=shop.name,
        name=price,
        unit_price=D(price),
        quantity=quantity,
        tax_class=tax_class,
        product_id=product_id,
    )


def _offer(code="CODE", reward="percentage", value="0", shop=None, **more) -> Offer:
    return Offer(
        promotion_id=1,
        voucher_id=abs(hash(code)) % 10_000,
        code=code,
        label=code.title(),
        shop_id=shop.pk if shop else None,
        reward=reward,
        value=D(value),
        **more,
    )


@pytest.fixture
def shops():
    tax_rates_load_eu()
    return _shop("A shop", "4.90"), _shop("B shop", "5.00")


def _discounts(totals):
    return [priced.discount for priced in totals.lines]


def test_ten_percent_over_two_tax_classes_with_tax_added(shops):
    a, _b = shops
    lines = [_line(a, "19.99", 3), _line(a, "0.99", 1, "reduced")]  # 59.97 + 0.99 = 60.96
    totals = basket_totals(lines=lines, country="DE", offers=[_offer(value="10")])

    # 10% of 60.96 = 6.096 -> 6.10; spread 59.97 : 0.99 -> 6.0010 -> 6.00 and 0.0990 -> 0.09,
    # the cent left on the largest line: 6.01 and 0.09.
    assert _discounts(totals) == [D("6.01"), D("0.09")]
    assert [d.amount for d in totals.discounts] == [D("6.10")]
    # Tax on what is left: 53.96 x 19% = 10.2524 -> 10.25; 0.90 x 7% = 0.063 -> 0.06;
    # shipping 4.90 x 19% = 0.931 -> 0.93.
    assert [priced.tax_amount for priced in totals.lines] == [D("10.25"), D("0.06")]
    assert totals.tax_total == D("11.24")
    assert totals.discount_total == D("6.10")
    # 60.96 + 4.90 - 6.10 + 11.24
    assert totals.total == D("71.00")
    kinds = [(row.kind, row.amount) for row in basket_rows(totals)]
    assert ("discount", D("-6.10")) in kinds


def test_ten_percent_with_prices_including_tax(shops):
    TaxSettings.objects.create(pk=1, prices_include_tax=True)
    a, _b = shops
    lines = [_line(a, "19.99", 3), _line(a, "0.99", 1, "reduced")]
    totals = basket_totals(lines=lines, country="DE", offers=[_offer(value="10")])

    assert _discounts(totals) == [D("6.01"), D("0.09")]
    # The tax inside what is left: 53.96 x 19/119 = 8.6157 -> 8.62; 0.90 x 7/107 = 0.0589
    # -> 0.06; shipping 4.90 x 19/119 = 0.7824 -> 0.78.
    assert [priced.tax_amount for priced in totals.lines] == [D("8.62"), D("0.06")]
    assert totals.tax_total == D("9.46")
    # 60.96 + 4.90 - 6.10, the tax inside
    assert totals.total == D("59.76")


def test_a_fixed_amount_over_two_shops_is_spread_in_proportion(shops):
    a, b = shops
    lines = [_line(a, "30.00"), _line(b, "10.00", tax_class="reduced")]
    totals = basket_totals(lines=lines, country="DE", offers=[_offer(reward="fixed", value="10")])

    # 10 x 30/40 = 7.50; 10 x 10/40 = 2.50
    assert _discounts(totals) == [D("7.50"), D("2.50")]
    # 22.50 x 19% = 4.275 -> 4.28; 7.50 x 7% = 0.525 -> 0.53; shipping 0.93 + 0.95
    assert totals.tax_total == D("6.69")
    # 40.00 + 9.90 - 10.00 + 6.69
    assert totals.total == D("46.59")


def test_a_fixed_amount_larger_than_the_lines_it_reaches_stops_at_zero(shops):
    a, b = shops
    lines = [_line(a, "30.00"), _line(b, "10.00", tax_class="reduced")]
    shop_code = _offer(reward="fixed", value="50", shop=a)
    totals = basket_totals(lines=lines, country="DE", offers=[shop_code])

    # A's code reaches A's line alone: 30.00 off, not 50; B's line keeps its price.
    assert _discounts(totals) == [D("30.00"), D("0.00")]
    assert totals.discounts[0].amount == D("30.00")
    # A's line: 0.00 tax; B's 10.00 x 7% = 0.70; shipping 0.93 + 0.95
    assert totals.tax_total == D("2.58")
    # 40.00 + 9.90 - 30.00 + 2.58
    assert totals.total == D("22.48")


def test_a_platform_free_shipping_code_frees_both_shops(shops):
    a, b = shops
    lines = [_line(a, "30.00"), _line(b, "10.00", tax_class="reduced")]
    totals = basket_totals(lines=lines, country="DE", offers=[_offer(reward="free_shipping")])

    assert [group.discount for group in totals.groups] == [D("4.90"), D("5.00")]
    assert totals.discounts[0].amount == D("9.90")
    # No tax on free shipping: 30 x 19% = 5.70; 10 x 7% = 0.70
    assert totals.tax_total == D("6.40")
    # 40.00 + 9.90 - 9.90 + 6.40
    assert totals.total == D("46.40")


def test_a_shops_free_shipping_code_frees_its_own_shipment_only(shops):
    a, b = shops
    lines = [_line(a, "30.00"), _line(b, "10.00", tax_class="reduced")]
    totals = basket_totals(
        lines=lines, country="DE", offers=[_offer(reward="free_shipping", shop=a)]
    )

    assert [group.discount for group in totals.groups] == [D("4.90"), D("0.00")]
    # 5.70 + 0.70 + B's shipping 0.95
    assert totals.tax_total == D("7.35")
    # 40.00 + 9.90 - 4.90 + 7.35
    assert totals.total == D("52.35")


def test_a_shops_code_comes_off_before_the_platforms(shops):
    a, b = shops
    lines = [_line(a, "30.00"), _line(b, "10.00")]
    offers = [
        _offer("PLATFORM10", value="10"),
        _offer("SHOPFIVE", reward="fixed", value="5", shop=a),
    ]
    totals = basket_totals(lines=lines, country="DE", offers=offers)

    # The shop's 5.00 first (A: 25.00 left); then 10% of 25.00 + 10.00 = 3.50, spread
    # 25 : 10 -> 2.50 and 1.00.
    assert [d.code for d in totals.discounts] == ["SHOPFIVE", "PLATFORM10"]
    assert [d.amount for d in totals.discounts] == [D("5.00"), D("3.50")]
    assert _discounts(totals) == [D("7.50"), D("1.00")]
    assert totals.discount_total == D("8.50")


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        # 1.00 over three 1.00 lines: 0.33 each, the cent left on the first largest.
        ("1.00", ["1.00", "1.00", "1.00"], ["0.34", "0.33", "0.33"]),
        # 0.99 over 0.33, 0.33, 0.34: 0.3267 -> 0.32, 0.32, 0.3366 -> 0.33; two cents left:
        # the largest line has room for one (0.34), the next largest takes the other.
        ("0.99", ["0.33", "0.33", "0.34"], ["0.33", "0.32", "0.34"]),
        # More than the lines hold: every line to zero, no further.
        ("5.00", ["1.50", "2.00"], ["1.50", "2.00"]),
        # Nothing to share.
        ("0.00", ["1.00"], ["0.00"]),
        ("1.00", ["0.00", "0.00"], ["0.00", "0.00"]),
    ],
)
def test_spreading_a_discount(amount, weights, expected):
    shares = spread(D(amount), [D(w) for w in weights])
    assert shares == [D(e) for e in expected]
    assert sum(shares) == min(D(amount), sum(D(w) for w in weights))


def test_a_code_that_reaches_no_line_or_misses_its_minimum_gives_nothing(shops):
    a, b = shops
    lines = [_line(a, "30.00", product_id=1), _line(b, "10.00", product_id=2)]
    elsewhere = _offer("ELSEWHERE", value="10", product_ids=frozenset({99}))
    minimum = _offer("BIGSPEND", value="10", min_subtotal=D("50.00"))
    totals = basket_totals(lines=lines, country="DE", offers=[elsewhere, minimum])

    problems = {d.code: d.problem for d in totals.discounts}
    assert problems == {"ELSEWHERE": "no_eligible_line", "BIGSPEND": "minimum_not_reached"}
    assert totals.discount_total == D("0.00")
    assert "50.00" in totals.discounts[0].detail and "40.00" in totals.discounts[0].detail

    with pytest.raises(VoucherNotApplicable) as raised:
        basket_totals(lines=lines, country="DE", offers=[minimum], strict=True)
    assert raised.value.as_dict()["reason"] == "minimum_not_reached"


def test_a_code_for_one_product_reaches_that_product_only(shops):
    a, _b = shops
    lines = [_line(a, "30.00", product_id=1), _line(a, "10.00", product_id=2)]
    totals = basket_totals(
        lines=lines, country="DE", offers=[_offer(value="50", product_ids=frozenset({2}))]
    )
    assert _discounts(totals) == [D("0.00"), D("5.00")]
