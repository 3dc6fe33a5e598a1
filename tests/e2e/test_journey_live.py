"""Live updates in a real browser (issue 21), served by a real ASGI server (uvicorn:
the pages and the socket on one port, tests/asgi_server.py): the seller's admin shows a
toast when an order comes in; the shopper keeps the order page open while the seller
ships in the admin, and the page shows "Shipped" and the tracking link without a reload;
the bell's count goes up, and down when the notifications are read in another tab."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e._admin_helpers import admin_sign_in, paid_order, storefront_sign_in
from tests.e2e.test_journey_shipping import mark_sent
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    verify_email,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def socket_open(page):
    expect(page.locator("[data-realtime]")).to_have_attribute("data-realtime", "open")


def test_the_order_page_and_the_bell_follow_the_seller_live(asgi_server, browser, shot):
    shop = ShopFactory(name="Lumen Lamps", slug="lumen")
    seller = MembershipFactory(shop=shop, role="owner").user
    lamp = ProductFactory(shop=shop, name="Desk Lamp", slug="desk-lamp", price="33.00")
    buyer = verify_email(UserFactory(email="ines@example.com"))
    context = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}

    # The seller watches their admin; an order comes in and a toast says so.
    admin = browser.new_context(**context).new_page()
    admin_sign_in(admin, asgi_server.url, seller.email)
    socket_open(admin)
    order = paid_order(user=buyer, items=[(lamp, 1)])
    toast = admin.locator(".live-toast")
    expect(toast).to_contain_text(f"New order {order.number}")
    shot(admin, "seller-toast")

    # The shopper opens the order: paid, one unread notification (the payment).
    shopper = browser.new_context(**context).new_page()
    order_path = f"/orders/{order.pk}/"
    storefront_sign_in(shopper, asgi_server.url, buyer.email, next_path=order_path)
    socket_open(shopper)
    expect(shopper.locator("#order-live-status")).to_have_text("Paid")
    count = shopper.locator(".notification-count")
    expect(count).to_have_text("1")
    shopper.evaluate("window.stillTheSamePage = true")

    # The seller ships the lamp with a tracking number; the shopper's page follows.
    mark_sent(admin, asgi_server, seller, carrier="DHL", tracking="LAMP123", sign_in=False)
    expect(shopper.locator("#order-live-status")).to_have_text("Shipped")
    tracking = shopper.locator("#order-live-shipments a.tracking-link")
    expect(tracking).to_have_attribute("href", "https://track.example/LAMP123")
    expect(tracking).to_contain_text("LAMP123")
    expect(shopper.locator("#order-live-timeline")).to_contain_text("Shipped")
    expect(count).to_have_text(re.compile(r"^[2-9]$"))
    assert shopper.evaluate("window.stillTheSamePage") is True  # no reload
    shopper.locator(".notification-bell").click()
    menu = shopper.locator(".notification-menu-list")
    expect(menu).to_contain_text(f"sent items of order {order.number}")
    shot(shopper, "shipped-live")

    # Read in another tab: this tab's bell goes down.
    other_tab = shopper.context.new_page()
    other_tab.goto(asgi_server.url + "/notifications/")
    other_tab.get_by_role("button", name="Mark all read").first.click()
    expect(other_tab.locator(".messages")).to_contain_text("Every notification is marked read")
    expect(count).to_be_hidden()
    expect(shopper.locator(".notification-bell")).to_have_attribute("aria-label", "Notifications")
    assert shopper.evaluate("window.stillTheSamePage") is True
