"""Accessibility basics of the storefront's main pages, checked with axe-core in Chromium
(tests/e2e/a11y.py: alt text, labels, heading order, language, title, names of buttons
and links), and a keyboard user's focus that can be seen."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from cart.services import cart_add_item, cart_get_for_user
from catalog.services import product_image_add
from orders.services import order_place
from tests.e2e._look_helpers import (
    build_catalog,
    product_photo,
    shopper_with_address,
    sign_in,
    snap,
    wait_for_images,
    wider_than_viewport,
)
from tests.e2e.a11y import violations
from tests.e2e.conftest import DESKTOP, PHONE, no_horizontal_scroll
from tests.factories import address_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SPEAKER = "Walnut bluetooth speaker"


@pytest.fixture
def world():
    """A catalog with photos and reviews; a shopper with an address, a placed order and
    two products in the cart."""
    catalog = build_catalog(photo_size=(320, 320))
    speaker = catalog.product(SPEAKER)
    for number in (2, 3):
        product_image_add(
            user=catalog.owner,
            product=speaker,
            upload=SimpleUploadedFile(
                f"speaker-{number}.png",
                product_photo(["#0f766e", "#fde68a"], seed=number, size=(320, 320)),
            ),
            alt="",  # no alt text given: the page falls back to the product's name
        )
    shopper = shopper_with_address()
    cart = cart_get_for_user(user=shopper)
    cart_add_item(cart=cart, product=catalog.product("Brass fountain pen"), quantity=1)
    order = order_place(user=shopper, cart=cart, shipping_address=address_data())
    cart_add_item(cart=cart, product=speaker, quantity=1)
    cart_add_item(cart=cart, product=catalog.product("Copper watering can"), quantity=2)
    return {
        "catalog": catalog,
        "speaker": speaker,
        "shop": catalog.shops[0],
        "shopper": shopper,
        "address": shopper.addresses.get(),
        "order": order,
    }


PUBLIC_PAGES = {
    "home": lambda w: "/",
    "product list": lambda w: "/products/",
    "search results": lambda w: "/products/?q=speaker",
    "search without results": lambda w: "/products/?q=xylophone",
    "category": lambda w: "/categories/audio/",
    "product with images and reviews": lambda w: f"/products/{w['speaker'].slug}/",
    "shop": lambda w: f"/shops/{w['shop'].slug}/",
    "shops": lambda w: "/shops/",
    "empty cart": lambda w: "/cart/",
    "sign in": lambda w: "/accounts/login/",
    "sign up": lambda w: "/accounts/signup/",
    "password reset": lambda w: "/accounts/password/reset/",
}
SHOPPER_PAGES = {
    "cart with items": lambda w: "/cart/",
    "checkout": lambda w: "/checkout/",
    "account overview": lambda w: "/accounts/",
    "address book": lambda w: "/accounts/addresses/",
    "new address form": lambda w: "/accounts/addresses/add/",
    "address edit form": lambda w: f"/accounts/addresses/{w['address'].pk}/edit/",
    "order history": lambda w: "/orders/",
    "order": lambda w: f"/orders/{w['order'].pk}/",
    "pay": lambda w: f"/orders/{w['order'].pk}/pay/",
}


def problems_of(page, base_url: str, pages: dict, world, shot) -> dict[str, list[str]]:
    """Visit each page on a desktop; answer the accessibility problems found, by page
    name. Every page answers 200 and has one main heading; narrowed to a phone's width,
    it still fits (a screenshot of each is kept for the reviewer)."""
    found = {}
    for name, path_of in pages.items():
        page.set_viewport_size(DESKTOP)
        url = base_url + path_of(world)
        response = page.goto(url)
        assert response.status == 200, f"{name}: {url} answered {response.status}"
        wait_for_images(page)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        problems = violations(page)
        if problems:
            found[name] = problems
        page.set_viewport_size(PHONE)
        assert no_horizontal_scroll(page), (
            f"{name} scrolls sideways on a phone: {wider_than_viewport(page)}"
        )
        snap(shot, page, f"{name.replace(' ', '-')}-phone")
    return found


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items())


# One browser visit per page inside one test for each group: each test needs the same
# catalog, and building it (with photos and thumbnails) costs more than the check itself.
def test_public_pages_are_accessible(world, page, live_server, shot):
    found = problems_of(page, live_server.url, PUBLIC_PAGES, world, shot)
    assert not found, "Accessibility problems:\n" + report(found)

    # The product page checked had three images and three reviews; the two images
    # uploaded without alt text are named after the product.
    page.goto(f"{live_server.url}/products/{world['speaker'].slug}/")
    thumbnails = page.locator(".gallery-thumbs img")
    expect(thumbnails).to_have_count(3)
    expect(thumbnails.nth(1)).to_have_attribute("alt", f"{SPEAKER} (image 2 of 3)")
    expect(page.locator(".review")).to_have_count(3)
    # The search without results showed its empty state, not an empty grid.
    page.goto(live_server.url + PUBLIC_PAGES["search without results"](world))
    expect(page.locator(".listing .empty-state")).to_be_visible()
    expect(page.locator(".product-card")).to_have_count(0)


def test_a_shoppers_pages_are_accessible(world, page, live_server, shot):
    sign_in(page.context, world["shopper"], live_server)
    found = problems_of(page, live_server.url, SHOPPER_PAGES, world, shot)
    assert not found, "Accessibility problems:\n" + report(found)


FOCUS_RING = """(element) => {
  const visible = style => (
    (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
      && style.outlineColor !== 'rgba(0, 0, 0, 0)')
    || (style.boxShadow && style.boxShadow !== 'none')
  );
  return visible(getComputedStyle(element)) || visible(getComputedStyle(element, '::after'));
}"""


def tab_to(page, selector: str, *, limit: int = 40):
    """Press Tab until the focused element matches `selector`; answer its locator."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return page.locator(f"{selector}:focus")
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def test_keyboard_focus_is_visible(world, page, live_server, shot):
    page.goto(live_server.url + "/")

    search = tab_to(page, "#site-search")
    expect(search).to_be_focused()
    assert search.evaluate(FOCUS_RING), "the header search shows no focus ring"
    shot(page, "search-focused")

    card_link = tab_to(page, ".product-card .stretched-link")
    expect(card_link).to_be_focused()
    assert card_link.evaluate(FOCUS_RING), "a product card's link shows no focus ring"
    # The ring is drawn round the card the link covers.
    ring = card_link.evaluate("e => getComputedStyle(e, '::after').outlineStyle")
    assert ring == "solid"
    # What the keyboard user sees: the viewport, not the full page (which would draw the
    # sticky header where the scroll left it).
    page.screenshot(path=shot(page, "card-focused"))
