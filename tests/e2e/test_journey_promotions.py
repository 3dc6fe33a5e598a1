"""Promotions in a real browser (issue 18): a sale price struck through on the product
page, an expired code refused with a clear message, a valid code taking its amount off
with tax on what is left, and the discounted total paid."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e._shopper_helpers import signed_in_shopper_in_germany, totals
from tests.e2e.a11y import assert_accessible
from tests.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def a_lamp_on_sale_and_two_codes():
    from promotions.services import promotion_create
    from shipping.services import shipping_method_create, shipping_zone_create
    from taxes.services import tax_rates_load_eu
    from tests.promotions.helpers import running_sale

    tax_rates_load_eu()  # Germany: 19% standard
    shop = ShopFactory(name="Lumen Lamps", slug="lumen", ships=False)
    zone = shipping_zone_create(shop=shop, data={"name": "DE", "countries": ["DE"]}, by=None)
    shipping_method_create(zone=zone, data={"name": "Standard", "price": "4.90"}, by=None)
    lamp = ProductFactory(shop=shop, name="Desk Lamp", slug="desk-lamp", price="50.00")
    running_sale(name="Lamp week", value="10", products=[lamp])
    now = timezone.now()
    promotion_create(
        shop=None,
        data={
            "name": "Winter",
            "reward": "fixed",
            "value": "5.00",
            "ends_at": now - timedelta(days=1),
            "code": "OLDCODE",
        },
        by=None,
    )
    promotion_create(
        shop=shop,
        data={"name": "Spring", "reward": "fixed", "value": "10.00", "code": "SPRING10"},
        by=None,
    )


def test_an_expired_code_then_a_valid_one_and_the_discounted_total_paid(live_server, browser, shot):
    from orders.models import Order

    a_lamp_on_sale_and_two_codes()
    page = signed_in_shopper_in_germany(
        browser, live_server, email="ines@example.com", name="Inès Berg"
    )
    context = page.context

    # The sale: 10% off, the regular price struck through.
    page.goto(f"{live_server.url}/products/desk-lamp/")
    expect(page.locator(".product-price")).to_contain_text("$45.00")
    expect(page.locator(".product-price del")).to_have_text("$50.00")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    # 45.00 + 4.90; tax 45.00 x 19% = 8.55 and 4.90 x 19% = 0.93
    assert totals(page)["Total"] == "$59.38"

    code = page.get_by_placeholder("Discount code")
    code.fill("oldcode")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("This discount code has expired.")).to_be_visible()
    assert totals(page)["Total"] == "$59.38"
    shot(page, "expired-code")

    page.get_by_placeholder("Discount code").fill("spring10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Discount code SPRING10 applied.")).to_be_visible()
    figures = totals(page)
    # 10.00 off the lamp: tax on 35.00 = 6.65, shipping's 0.93;
    # 45.00 + 4.90 - 10.00 + 7.58 = 47.48
    assert figures["Discount SPRING10 (Spring)"] == "-$10.00"
    assert figures["Tax"] == "$7.58"
    assert figures["Total"] == "$47.48"
    assert_accessible(page)
    shot(page, "code-applied")

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    expect(page.locator("dl.totals").first).to_contain_text("$47.48")
    page.get_by_role("button", name="Place order").click()
    order = Order.objects.get(user__email="ines@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    assert str(order.total) == "47.48" and str(order.discount_total) == "10.00"
    expect(page.get_by_text("Discount SPRING10 (Spring)")).to_be_visible()
    page.get_by_role("link", name=re.compile("Pay now")).click()
    page.get_by_label("Card", exact=True).select_option(label="Mastercard ending 4444 (succeeds)")
    page.get_by_role("button", name=re.compile(r"^Pay .*47\.48")).click()
    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()
    shot(page, "paid")
    context.close()
