"""Journey 6: shopping on a phone (390 x 844, touch). A signed-in shopper with a verified
email and a saved address browses the list, opens a product, adds it to the cart, changes
the quantity in the cart, checks out and reaches the pay step. Every page fits the
phone's width, and the controls the journey needs are on screen and big enough to tap."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from tests.e2e._look_helpers import (
    assert_tappable,
    build_catalog,
    shopper_with_address,
    snap,
    wait_for_images,
    wider_than_viewport,
)
from tests.e2e.conftest import PHONE, no_horizontal_scroll
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fits(page) -> None:
    wait_for_images(page)
    assert no_horizontal_scroll(page), (
        f"{page.url} scrolls sideways on a phone: {wider_than_viewport(page)}"
    )


HEADER_MAX_HEIGHT = 120  # two rows: logo and links, then the search


def header_is_usable(page, *, count: int) -> None:
    """The header shows the cart's count (waiting for it), fits in two rows, and its search
    and cart link can be tapped."""
    cart_link = page.locator(".site-header .cart-link")
    expect(cart_link.locator(".cart-count")).to_have_text(str(count))
    expect(cart_link).to_have_accessible_name(re.compile(rf"Cart {count} items?"))
    assert_tappable(cart_link, PHONE, name="cart link")
    search = page.locator(".site-header").get_by_role("searchbox", name="Search products")
    assert_tappable(search, PHONE, name="search")
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= HEADER_MAX_HEIGHT, f"the header takes {header['height']} px"


def test_a_shopper_buys_on_a_phone(phone, live_server, shot):
    catalog = build_catalog(reviews=False)
    speaker = catalog.product("Walnut bluetooth speaker")
    shopper = shopper_with_address()
    page = phone

    page.goto(live_server.url + "/accounts/login/")
    fits(page)
    page.get_by_label("Email").fill(shopper.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    sign_in = page.locator("main").get_by_role("button", name="Sign in")
    assert_tappable(sign_in, PHONE, name="sign-in button")
    sign_in.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    fits(page)
    header_is_usable(page, count=0)
    snap(shot, page, "account")

    page.get_by_role("link", name="Shop home").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Independent shops, one checkout")
    fits(page)
    header_is_usable(page, count=0)
    snap(shot, page, "home")

    # Browse the list: two cards a row, each inside the screen.
    page.get_by_role("link", name="Browse all products").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("All products")
    fits(page)
    header_is_usable(page, count=0)
    cards = page.locator(".product-card")
    expect(cards).to_have_count(12)
    for index in (0, 1):
        card = cards.nth(index)
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        expect(card.locator("img")).to_be_visible()
    snap(shot, page, "product-list")

    # Open a product and add it to the cart.
    page.get_by_role("link", name=speaker.name).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(speaker.name)
    fits(page)
    header_is_usable(page, count=0)
    expect(page.get_by_role("img", name=f"{speaker.name}, photo 1")).to_be_visible()
    add = page.get_by_role("button", name="Add to cart")
    assert_tappable(add, PHONE, name="add-to-cart button")
    snap(shot, page, "product")
    add.tap()
    expect(page.locator(".site-header .cart-count")).to_have_text("1")
    fits(page)

    # The cart: change the quantity.
    page.locator(".site-header .cart-link").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    fits(page)
    quantity = page.get_by_label(f"Quantity of {speaker.name}")
    assert_tappable(quantity, PHONE, name="quantity field")
    quantity.fill("2")
    update = page.get_by_role("button", name=f"Update {speaker.name}")
    assert_tappable(update, PHONE, name="update button")
    update.tap()
    header_is_usable(page, count=2)  # waits for the page the update answers with
    expect(page.get_by_label(f"Quantity of {speaker.name}")).to_have_value("2")
    expect(page.locator(".order-summary .totals-grand")).to_contain_text("$258.00")
    checkout = page.get_by_role("link", name="Checkout")
    assert_tappable(checkout, PHONE, name="checkout button")
    fits(page)
    snap(shot, page, "cart")

    # Checkout with the saved address, which is chosen already.
    checkout.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    fits(page)
    header_is_usable(page, count=2)
    saved = page.get_by_role("radio", name=re.compile("Ada Lovelace")).first
    expect(saved).to_be_checked()
    place = page.get_by_role("button", name="Place order")
    assert_tappable(place, PHONE, name="place-order button")
    snap(shot, page, "checkout")
    place.tap()

    # The order is placed and waits for payment; the pay step is one tap away.
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    order = Order.objects.get(user=shopper)
    assert order.status == OrderStatus.PENDING
    assert order.total == speaker.price * 2
    fits(page)
    header_is_usable(page, count=0)
    pay_now = page.get_by_role("link", name=re.compile("Pay now"))
    assert_tappable(pay_now, PHONE, name="pay-now button")
    snap(shot, page, "order")
    pay_now.tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pay for your order")
    assert page.url.endswith(f"/orders/{order.pk}/pay/")
    fits(page)
    pay = page.get_by_role("button", name=re.compile(r"Pay \$258\.00"))
    assert_tappable(pay, PHONE, name="pay button")
    snap(shot, page, "pay")
