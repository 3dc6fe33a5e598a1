"""A shopper picks a size and a colour on a product page in a real browser: the price,
the stock line, the SKU and the picture follow the choice, a sold-out combination cannot
be chosen, and two variants of one product go into the cart and through checkout."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e._shopper_helpers import add_product_images, expect_cart_count, money
from tests.e2e.a11y import assert_accessible
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tee_with_variants():
    """A tee in S, M, L and Red, Blue: L costs 2.00 more, M in Blue is sold out, and each
    colour has its picture."""
    from catalog.models import ProductVariant
    from catalog.services import variant_update

    shop = ShopFactory(name="Thread & Co", slug="thread-co")
    owner = MembershipFactory(shop=shop, role="owner").user
    tee = ProductFactory(
        shop=shop,
        name="Organic Tee",
        slug="organic-tee",
        price=Decimal("20.00"),
        stock_quantity=5,
        sku="TEE",
        options=[("Size", ["S", "M", "L"]), ("Colour", ["Red", "Blue"])],
    )
    red, blue = add_product_images(
        owner=owner,
        product=tee,
        pictures=[("JPEG", (200, 30, 30), "The red tee"), ("PNG", (30, 60, 200), "The blue tee")],
    )
    variants = {
        variant.options_text: variant
        for variant in ProductVariant.objects.filter(product=tee, deleted_at=None)
    }
    for text, variant in variants.items():
        data = {"image_id": red.pk if "Red" in text else blue.pk}
        if "Size: L" in text:
            data["price"] = "22.00"
        if text == "Size: M / Colour: Blue":
            data["stock_quantity"] = 0
        variant_update(user=owner, variant=variant, data=data)
    return tee, variants, red, blue


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("banner")).to_contain_text("Sign out")


def test_a_shopper_picks_size_and_colour_and_buys_two_variants(live_server, page, shot):
    from accounts.services import address_create
    from orders.models import Order

    tee, variants, red, blue = tee_with_variants()
    shopper = verify_email(UserFactory(email="grace@example.com"))
    address_create(user=shopper, data=address_data(full_name="Grace Hopper"))
    sign_in(page, live_server, shopper)

    page.goto(live_server.url + "/products/organic-tee/")
    pickers = page.locator("#variant-pickers")
    expect(pickers).to_be_visible()  # the script replaced the select of variants
    expect(page.get_by_label("Choose")).to_be_hidden()
    size = pickers.get_by_role("group", name="Size")
    colour = pickers.get_by_role("group", name="Colour")
    price = page.locator("#variant-price")
    picture = page.locator("#gallery-main-image")
    expect(size.get_by_role("button", name="S", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(price).to_have_text(money("20.00"))
    expect(page.locator("#variant-sku")).to_have_text(variants["Size: S / Colour: Red"].sku)
    assert_accessible(page)

    # L costs more: the price follows; the address names the variant.
    size.get_by_role("button", name="L", exact=True).click()
    expect(price).to_have_text(money("22.00"))
    expect(page).to_have_url(re.compile(rf"variant={variants['Size: L / Colour: Red'].pk}"))
    # Blue: its picture is shown.
    colour.get_by_role("button", name="Blue", exact=True).click()
    expect(picture).to_have_attribute("src", re.compile(re.escape(blue.image.url)))
    expect(page.locator("#variant-sku")).to_have_text(variants["Size: L / Colour: Blue"].sku)
    shot(page, "large-blue")

    # M in Blue is sold out: with Blue chosen, M cannot be picked, and says why.
    sold_out = size.get_by_role("button", name=re.compile(r"^M"))
    expect(sold_out).to_be_disabled()
    expect(sold_out).to_contain_text("sold out")
    # With Red chosen, M can be picked again.
    colour.get_by_role("button", name="Red", exact=True).click()
    expect(picture).to_have_attribute("src", re.compile(re.escape(red.image.url)))
    expect(size.get_by_role("button", name="M", exact=True)).to_be_enabled()

    # Two variants of the tee into the cart.
    size.get_by_role("button", name="L", exact=True).click()
    colour.get_by_role("button", name="Blue", exact=True).click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    page.goto(live_server.url + "/products/organic-tee/")
    page.locator("#variant-pickers").get_by_role("group", name="Size").get_by_role(
        "button", name="S", exact=True
    ).click()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect_cart_count(page, 3)
    lines = page.get_by_role("list", name="Items in your cart").get_by_role("listitem")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="Size: L / Colour: Blue")).to_contain_text(money("22.00"))
    expect(lines.filter(has_text="Size: S / Colour: Red")).to_contain_text(money("20.00"))
    shot(page, "cart-two-variants")

    # Checkout and pay.
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    page.get_by_role("button", name="Place order").click()
    order = Order.objects.get(user=shopper)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_text("Size: L / Colour: Blue")).to_be_visible()
    page.get_by_role("link", name=re.compile("Pay now")).click()
    page.get_by_label("Card", exact=True).select_option(label="Mastercard ending 4444 (succeeds)")
    page.get_by_role("button", name=re.compile(r"^Pay .*62\.00")).click()
    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()

    lines = {line.variant_options: line for line in order.lines.all()}
    assert set(lines) == {"Size: L / Colour: Blue", "Size: S / Colour: Red"}
    assert lines["Size: S / Colour: Red"].quantity == 2
    assert lines["Size: L / Colour: Blue"].unit_price == Decimal("22.00")
    for text, sold in (("Size: L / Colour: Blue", 1), ("Size: S / Colour: Red", 2)):
        variant = variants[text]
        variant.refresh_from_db()
        assert variant.stock_quantity == 5 - sold
    tee.refresh_from_db()
    assert tee.stock_quantity == 5 * 5 - 3  # five variants of five, M in Blue of none


def test_without_the_script_the_select_of_variants_still_buys(live_server, browser):
    _tee, variants, _red, _blue = tee_with_variants()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/products/organic-tee/")
    choose = page.get_by_label("Choose")
    expect(choose).to_be_visible()
    sold_out = variants["Size: M / Colour: Blue"]
    expect(choose.locator(f'option[value="{sold_out.pk}"]')).to_be_disabled()
    choose.select_option(str(variants["Size: L / Colour: Red"].pk))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    expect(page.get_by_text("Size: L / Colour: Red", exact=True)).to_be_visible()
    context.close()
