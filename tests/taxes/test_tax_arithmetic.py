"""The tax arithmetic (issue 17): per line, half-up to the cent, with prices entered with
tax or without it; the rates of the address; a 3-shop basket priced end to end. Every
expected figure is worked out by hand in the comment beside it."""

from decimal import Decimal as D

import pytest

from cart.pricing import LineInput, basket_rows, basket_totals
from shipping.services import shipping_method_create, shipping_zone_create
from taxes.models import TaxClass, TaxRate, TaxSettings
from taxes.providers import TableTaxProvider
from taxes.services import tax_amount, tax_rates_load_eu
from tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "rate", "included", "expected"),
    [
        # 59.97 x 19% = 11.3943 -> 11.39
        ("59.97", "19", False, "11.39"),
        # 59.97 x 19 / 119 = 9.575126... -> 9.58
        ("59.97", "19", True, "9.58"),
        # 1.25 x 10% = 0.125 -> 0.13 half-up (half-even would say 0.12)
        ("1.25", "10", False, "0.13"),
        # 0.99 x 7 / 107 = 0.064766... -> 0.06
        ("0.99", "7", True, "0.06"),
        # 4.90 x 19 / 119 = 0.782352... -> 0.78
        ("4.90", "19", True, "0.78"),
        # 7.50 x 19% = 1.425 -> 1.43 half-up
        ("7.50", "19", False, "1.43"),
        # 0.05 x 19% = 0.0095 -> 0.01
        ("0.05", "19", False, "0.01"),
        # 12.10 x 21 / 121 = 2.10 exactly
        ("12.10", "21", True, "2.10"),
        # 25.5% of 100.00 = 25.50
        ("100.00", "25.5", False, "25.50"),
        # no rate, no tax
        ("100.00", "0", False, "0.00"),
        ("100.00", "0", True, "0.00"),
    ],
)
def test_the_tax_of_one_line(amount, rate, included, expected):
    assert tax_amount(amount=D(amount), rate=D(rate), prices_include_tax=included) == D(expected)


def test_rates_come_from_the_table_by_country_region_and_class():
    TaxRate.objects.create(country="US", region="CA", tax_class="standard", rate=D("7.25"))
    TaxRate.objects.create(country="US", region="", tax_class="standard", rate=D("5.00"))
    tax_rates_load_eu()
    provider = TableTaxProvider()
    classes = {c.value for c in TaxClass}

    # Germany: 19 standard, 7 reduced, nothing for zero and exempt.
    assert provider.rates(country="DE", region="", tax_classes=classes) == {
        "standard": D("19"),
        "reduced": D("7"),
        "zero": D("0"),
        "exempt": D("0"),
    }
    # A region with its own rate; another region of the country pays the country's.
    assert provider.rates(country="US", region="ca", tax_classes={"standard"}) == {
        "standard": D("7.25")
    }
    assert provider.rates(country="US", region="NY", tax_classes={"standard"}) == {
        "standard": D("5.00")
    }
    # Denmark has no reduced rate: the reduced class pays the standard 25.
    assert provider.rates(country="DK", region="", tax_classes={"reduced"}) == {"reduced": D("25")}
    # A country without rates: the zero default.
    assert provider.rates(country="JP", region="", tax_classes={"standard"}) == {
        "standard": D("0.00")
    }


def test_loading_the_eu_rates_twice_changes_nothing():
    first = tax_rates_load_eu()
    count = TaxRate.objects.count()
    assert tax_rates_load_eu() == first
    assert TaxRate.objects.count() == count == 53  # 27 standard, 26 reduced (not DK)
    assert TaxRate.objects.get(country="FR", tax_class="reduced").rate == D("5.5")


# --- A basket of three shops --------------------------------------------------------------


def _shop_shipping(kind: str, **method):
    shop = ShopFactory(ships=False)
    zone = shipping_zone_create(shop=shop, data={"name": "EU", "countries": ["DE"]}, by=None)
    shipping_method_create(zone=zone, data={"name": kind, "kind": kind, **method}, by=None)
    return shop


def _line(shop, price, quantity, tax_class="standard", weight="0") -> LineInput:
    return LineInput(
        ref=f"{shop.pk}-{price}",
        shop_id=shop.pk,
        shop_name=shop.name,
        name=f"{price} at {shop.name}",
        unit_price=D(price),
        quantity=quantity,
        tax_class=tax_class,
        unit_weight_kg=D(weight),
    )


@pytest.fixture
def three_shops():
    tax_rates_load_eu()  # DE: 19 standard, 7 reduced
    flat = _shop_shipping("flat", price="4.90")
    free = _shop_shipping("free_over", price="5.95", free_above="50.00")
    weighed = _shop_shipping(
        "weight",
        tiers=[{"up_to_kg": "1", "price": "3.00"}, {"up_to_kg": "5", "price": "7.50"}],
    )
    return [
        _line(flat, "19.99", 3),  # 59.97
        _line(flat, "0.99", 1, "reduced"),  # 0.99
        _line(free, "12.50", 4, "zero"),  # 50.00: shipping free from 50.00
        _line(weighed, "8.35", 2, weight="0.6"),  # 16.70, 1.2 kg: the 5 kg tier, 7.50
        _line(weighed, "0.05", 1, weight="0.1"),  # 0.05 (1.3 kg in all)
    ]


def test_a_three_shop_basket_with_tax_added(three_shops):
    totals = basket_totals(lines=three_shops, country="DE")

    # Lines:    59.97 x 19% = 11.3943 -> 11.39;  0.99 x 7% = 0.0693 -> 0.07;
    #           50.00 zero -> 0.00;  16.70 x 19% = 3.173 -> 3.17;  0.05 x 19% = 0.0095 -> 0.01
    assert [line.tax_amount for line in totals.lines] == [
        D("11.39"),
        D("0.07"),
        D("0.00"),
        D("3.17"),
        D("0.01"),
    ]
    # Shipping: 4.90 x 19% = 0.931 -> 0.93;  free -> 0.00;  7.50 x 19% = 1.425 -> 1.43
    assert [(g.price, g.tax_amount) for g in totals.groups] == [
        (D("4.90"), D("0.93")),
        (D("0.00"), D("0.00")),
        (D("7.50"), D("1.43")),
    ]
    # 59.97 + 0.99 + 50.00 + 16.70 + 0.05 = 127.71;  4.90 + 0 + 7.50 = 12.40
    # 11.39 + 0.07 + 3.17 + 0.01 + 0.93 + 1.43 = 17.00;  127.71 + 12.40 + 17.00 = 157.11
    assert (totals.subtotal, totals.shipping_total, totals.tax_total, totals.total) == (
        D("127.71"),
        D("12.40"),
        D("17.00"),
        D("157.11"),
    )
    assert [(row.kind, row.amount) for row in basket_rows(totals)] == [
        ("subtotal", D("127.71")),
        ("shipping", D("4.90")),
        ("shipping", D("0.00")),
        ("shipping", D("7.50")),
        ("tax", D("17.00")),
        ("total", D("157.11")),
    ]


def test_a_three_shop_basket_with_prices_including_tax(three_shops):
    TaxSettings.objects.create(pk=1, prices_include_tax=True)

    totals = basket_totals(lines=three_shops, country="DE")

    # Lines:    59.97 x 19/119 = 9.5751 -> 9.58;  0.99 x 7/107 = 0.0648 -> 0.06;
    #           zero -> 0.00;  16.70 x 19/119 = 2.6664 -> 2.67;  0.05 x 19/119 = 0.0080 -> 0.01
    assert [line.tax_amount for line in totals.lines] == [
        D("9.58"),
        D("0.06"),
        D("0.00"),
        D("2.67"),
        D("0.01"),
    ]
    # Shipping: 4.90 x 19/119 = 0.7824 -> 0.78;  7.50 x 19/119 = 1.1975 -> 1.20
    assert [g.tax_amount for g in totals.groups] == [D("0.78"), D("0.00"), D("1.20")]
    # Tax inside the prices: 9.58 + 0.06 + 2.67 + 0.01 + 0.78 + 1.20 = 14.30;
    # total = 127.71 + 12.40 = 140.11, tax not added again.
    assert (totals.tax_total, totals.total) == (D("14.30"), D("140.11"))
    assert [row.kind for row in basket_rows(totals)] == [
        "subtotal",
        "shipping",
        "shipping",
        "shipping",
        "total",
        "tax_included",
    ]


def test_tax_is_rounded_per_line_not_on_the_sum():
    tax_rates_load_eu()  # AT: 10 reduced
    shop = ShopFactory()
    lines = [_line(shop, "0.15", 1, "reduced") for _ in range(3)]
    lines = [LineInput(**{**vars(line), "ref": i}) for i, line in enumerate(lines)]

    totals = basket_totals(lines=lines, country="AT")

    # Each line: 0.15 x 10% = 0.015 -> 0.02; three lines 0.06 (on the sum, 0.45 x 10% =
    # 0.045 would round to 0.05).
    assert [line.tax_amount for line in totals.lines] == [D("0.02")] * 3
    assert totals.tax_total == D("0.06")


def test_a_reduced_product_in_a_country_without_rates_pays_nothing():
    shop = ShopFactory()
    totals = basket_totals(lines=[_line(shop, "10.00", 2, "reduced")], country="US")
    assert (totals.tax_total, totals.total) == (D("0.00"), D("20.00"))
