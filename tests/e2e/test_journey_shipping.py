"""Shipping, tax and seller fulfilment in a real browser (issue 17): a cart of two shops,
a delivery method chosen per shop with the totals following, tax on every line, payment;
then each seller marks their line as sent in their admin with a tracking number, and the
shopper sees the order partially shipped, then shipped, with both tracking links."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e._admin_helpers import admin_sign_in
from tests.e2e._shopper_helpers import money, signed_in_shopper_in_germany, totals
from tests.e2e.a11y import assert_accessible
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def two_shops_shipping_to_germany():
    from shipping.services import shipping_method_create, shipping_zone_create
    from taxes.services import tax_rates_load_eu

    tax_rates_load_eu()  # Germany: 19% standard, 7% reduced
    lamps = ShopFactory(name="Lumen Lamps", slug="lumen", ships=False)
    zone = shipping_zone_create(shop=lamps, data={"name": "DE", "countries": ["DE"]}, by=None)
    shipping_method_create(
        zone=zone,
        data={"name": "Standard", "price": "4.90", "min_days": 2, "max_days": 4},
        by=None,
    )
    shipping_method_create(
        zone=zone,
        data={"name": "Express", "price": "12.00", "min_days": 1, "max_days": 1},
        by=None,
    )
    teas = ShopFactory(name="Leaf & Cup", slug="leaf-cup", ships=False)
    zone = shipping_zone_create(shop=teas, data={"name": "DE", "countries": ["DE"]}, by=None)
    shipping_method_create(
        zone=zone,
        data={"name": "Post", "kind": "free_over", "price": "3.50", "free_above": "30"},
        by=None,
    )
    ProductFactory(shop=lamps, name="Desk Lamp", slug="desk-lamp", price="33.33")
    ProductFactory(shop=teas, name="Green Tea", slug="green-tea", price="7.77", tax_class="reduced")
    return (
        MembershipFactory(shop=lamps, role="owner").user,
        MembershipFactory(shop=teas, role="owner").user,
    )


def add(page, live_server, slug: str, quantity: int = 1) -> None:
    page.goto(f"{live_server.url}/products/{slug}/")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()


def mark_sent(page, live_server, seller, *, carrier: str, tracking: str, sign_in=True) -> None:
    if sign_in:
        admin_sign_in(page, live_server.url, seller.email)
    page.goto(live_server.url + "/admin/orders/orderline/")
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("fulfil_lines")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1, name="Mark lines as sent")).to_be_visible()
    page.get_by_label("Carrier").fill(carrier)
    page.get_by_label("Tracking number").fill(tracking)
    page.get_by_label("Tracking url").fill(f"https://track.example/{tracking}")
    page.get_by_role("button", name="Mark as sent").click()
    expect(page.locator(".messagelist")).to_contain_text("Marked as sent")


def test_two_shops_a_method_each_tax_pay_and_each_seller_ships(live_server, browser, shot):
    from orders.models import Order

    lamps_owner, teas_owner = two_shops_shipping_to_germany()
    page = signed_in_shopper_in_germany(
        browser, live_server, email="ines@example.com", name="Inès Berg"
    )
    context = page.context

    add(page, live_server, "desk-lamp")
    add(page, live_server, "green-tea", 2)
    # The cart estimates for the default address: the cheapest method of each shop.
    # Lamp 33.33 x 19% = 6.33; tea 15.54 x 7% = 1.09; Standard 4.90 + 0.93; Post 3.50 + 0.67.
    figures = totals(page)
    assert figures["Shipping, Lumen Lamps (Standard)"] == "$4.90"
    assert figures["Tax"] == "$9.02" and figures["Total"] == "$66.29"
    shot(page, "cart-estimate")

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    lamps = page.get_by_role("group", name="Lumen Lamps")
    expect(lamps.get_by_role("radio")).to_have_count(2)
    expect(lamps).to_contain_text("1 working day")
    assert_accessible(page)
    # Express for the lamp: the script updates the options and the totals.
    lamps.get_by_label(re.compile("Express")).check()
    expect(page.locator("dl.totals").first).to_contain_text("$74.74")
    # 48.87 + shipping 12.00 + 3.50 + tax 6.33 + 1.09 + 2.28 + 0.67 = 74.74
    figures = totals(page)
    assert figures["Shipping, Lumen Lamps (Express)"] == "$12.00"
    assert figures["Tax"] == "$10.37"
    shot(page, "checkout-express")
    page.get_by_role("button", name="Place order").click()

    order = Order.objects.get(user__email="ines@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    assert order.total == 74.74 or str(order.total) == "74.74"
    page.get_by_role("link", name=re.compile("Pay now")).click()
    page.get_by_label("Card", exact=True).select_option(label="Mastercard ending 4444 (succeeds)")
    page.get_by_role("button", name=re.compile(r"^Pay .*74\.74")).click()
    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()

    # Each seller, in their own browser, marks their line as sent.
    seller = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    mark_sent(seller, live_server, lamps_owner, carrier="DHL", tracking="LAMP123")
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator(".status-badge").first).to_have_text("Partially shipped")
    delivery = page.get_by_role("region", name="Delivery")
    expect(delivery.get_by_role("link", name=re.compile("LAMP123"))).to_have_attribute(
        "href", "https://track.example/LAMP123"
    )
    expect(delivery).to_contain_text("Not sent yet")
    shot(page, "partially-shipped")

    seller.context.close()
    seller = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    mark_sent(seller, live_server, teas_owner, carrier="DPD", tracking="TEA456")
    page.reload()
    expect(page.locator(".status-badge").first).to_have_text("Shipped")
    delivery = page.get_by_role("region", name="Delivery")
    expect(delivery.get_by_role("link", name=re.compile("TEA456"))).to_have_attribute(
        "href", "https://track.example/TEA456"
    )
    expect(delivery.get_by_role("link", name=re.compile("LAMP123"))).to_be_visible()
    expect(page.get_by_text(money("74.74")).first).to_be_visible()
    assert_accessible(page)
    shot(page, "shipped")
    order.refresh_from_db()
    assert order.status == "shipped"
    context.close()
