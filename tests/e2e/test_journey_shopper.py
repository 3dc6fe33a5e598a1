"""A shopper's journeys through the storefront in a real browser.

1. A guest finds headphones despite a typo, narrows the list by category and price,
   sorts it, looks through a product's gallery, fills the cart, signs up, verifies the
   email from the mail, finds the cart kept, saves an address, checks out with it, pays
   with the dummy provider's test card and sees the order paid.
2. A guest's cart joins the cart kept for the account on signing in at checkout; a
   declined card says so clearly; trying again with a good card pays the order.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from tests.e2e._shopper_helpers import (
    add_product_images,
    add_to_cart,
    expect_cart_count,
    fill_sign_in_form,
    headphones_catalog,
    money,
    open_home,
    search,
)
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import last_mail_link
from tests.factories import UserFactory, address_data, verify_email

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "a-long-and-unusual-passphrase-7"


@pytest.fixture
def _plain_http_mail_links(settings):
    """The live server speaks HTTP; mailed links would otherwise say https (DEBUG off)."""
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"


def card_titles(page):
    return page.locator(".product-card-title")


def test_guest_finds_buys_signs_up_and_pays(live_server, page, shot, _plain_http_mail_links):
    from accounts.models import Address
    from cart.models import Cart
    from catalog.models import Product
    from orders.models import Order, OrderStatus
    from payments.models import Payment, PaymentStatus

    catalog = headphones_catalog()
    gallery = add_product_images(
        owner=catalog.owner,
        product=catalog.studio,
        pictures=[
            ("JPEG", (200, 40, 40), "Studio Headphones, front"),
            ("PNG", (40, 120, 200), "Studio Headphones, folded"),
            ("JPEG", (40, 160, 80), "Studio Headphones, on a stand"),
        ],
    )
    # The thumbnail task ran after each upload's commit.
    for image in gallery:
        image.refresh_from_db()
        assert image.thumbnail.name.endswith("-thumb.jpg")

    # --- Search with a typo ---------------------------------------------------------------
    open_home(page, live_server)
    search(page, "hedphones")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “hedphones”")
    expect(page.get_by_role("status").filter(has_text="product")).to_have_text("4 products")
    expect(card_titles(page)).to_have_count(4)
    for name in ("Studio Headphones", "Wireless Headphones", "Budget Headphones"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_text("Coffee Grinder")).to_have_count(0)
    shot(page, "search-results")
    assert_accessible(page)

    # --- Category, price, sort -----------------------------------------------------------
    page.get_by_role("navigation", name="Category").get_by_role("link", name="Audio").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audio")
    expect(card_titles(page)).to_have_count(3)
    expect(page.get_by_text("Headphones Travel Case")).to_have_count(0)
    page.get_by_label("Min").fill("30")
    page.get_by_role("button", name="Apply filters").click()
    expect(card_titles(page)).to_have_count(2)
    page.get_by_label("Sort by").select_option(label="Price: low to high")
    expect(page.get_by_label("Sort by")).to_have_value("price")
    expect(card_titles(page)).to_have_text(["Wireless Headphones", "Studio Headphones"])
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("From 30")
    shot(page, "filtered-list")
    assert_accessible(page)

    # --- The product and its gallery -----------------------------------------------------
    page.get_by_role("link", name="Studio Headphones", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Studio Headphones")
    gallery_region = page.get_by_role("region", name="Images of Studio Headphones")
    main_image = gallery_region.locator("#gallery-main-image")
    expect(main_image).to_have_attribute("alt", "Studio Headphones, front")
    thumbs = gallery_region.get_by_role("link")
    expect(thumbs).to_have_count(3)
    thumb_images = gallery_region.get_by_role("img", name=re.compile(r"\(image \d of 3\)"))
    expect(thumb_images).to_have_count(3)
    for index in range(3):
        src = thumb_images.nth(index).get_attribute("src")
        assert src.endswith("-thumb.jpg"), src  # the thumbnail, not the full image
    page.get_by_role("img", name="Studio Headphones, folded (image 2 of 3)").click()
    expect(main_image).to_have_attribute("alt", "Studio Headphones, folded")
    expect(main_image).to_have_attribute("src", re.compile(r"\.png$"))
    # Every picture on the page really loaded (served, decoded, not a broken icon).
    page.wait_for_function(
        "() => [...document.querySelectorAll('#gallery img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    shot(page, "product-page")
    assert_accessible(page)

    # --- Two items in the cart ------------------------------------------------------------
    add_to_cart(page, quantity=1)
    expect_cart_count(page, 1)
    search(page, "wireless headphones")
    page.get_by_role("link", name="Wireless Headphones", exact=True).click()
    add_to_cart(page, quantity=2)
    expect_cart_count(page, 3)
    lines = page.get_by_role("list", name="Items in your cart").get_by_role("listitem")
    expect(lines).to_have_count(2)
    expect(page.get_by_role("complementary", name="Summary")).to_contain_text(money("207.00"))
    shot(page, "cart")
    assert_accessible(page)

    # --- Sign up at checkout (a guest may also buy without an account) ----------------------
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    page.get_by_role("region", name="Your email").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Sign In")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="sign up").click()
    expect(page.get_by_role("heading", level=1, name="Sign Up")).to_be_visible()
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    shot(page, "sign-up")
    assert_accessible(page)
    page.get_by_role("button", name="Sign Up").click()

    # Not signed in yet (the page says the same for an address that has an account):
    # the mailed link confirms the address and signs the newcomer in, here.
    expect(page.get_by_role("heading", level=1, name="Verify Your Email Address")).to_be_visible()
    shot(page, "verify-to-check-out")
    assert_accessible(page)
    user = get_user_model().objects.get(email="grace@example.com")

    # --- Verify the email from the mail ----------------------------------------------------
    assert mail.outbox[-1].to == ["grace@example.com"]
    page.goto(last_mail_link(mail.outbox, "/accounts/confirm-email/"))
    expect(page.get_by_text("grace@example.com")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    # Signed in, and back where sign-up began: the checkout, with the guest cart.
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    expect_cart_count(page, 3)  # the guest cart came along
    carts = list(Cart.objects.prefetch_related("items"))
    assert [cart.user_id for cart in carts] == [user.pk]
    assert sorted((item.product_id, item.quantity) for item in carts[0].items.all()) == sorted(
        [(catalog.studio.pk, 1), (catalog.wireless.pk, 2)]
    )
    page.goto(page.url.split("/checkout/")[0] + "/accounts/")
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()

    # --- Save an address in the account area -----------------------------------------------
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Addresses"
    ).click()
    page.get_by_role("link", name="Add your first address").click()
    address = address_data(full_name="Grace Hopper", line1="1 Navy Yard Road", city="Arlington")
    page.get_by_label("Full name").fill(address["full_name"])
    page.get_by_label("Address line 1").fill(address["line1"])
    page.get_by_label("City").fill(address["city"])
    page.get_by_label("Postal code").fill(address["postal_code"])
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Phone").fill(address["phone"])
    assert_accessible(page)
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("Default shipping address")).to_be_visible()
    expect(page.locator("address")).to_contain_text("1 Navy Yard Road")

    # --- Checkout with the saved address ---------------------------------------------------
    page.get_by_role("banner").get_by_role("link", name=re.compile(r"^Cart\b")).click()
    expect(lines).to_have_count(2)
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    saved = page.get_by_role("group", name="Shipping address").get_by_role(
        "radio", name=re.compile("Grace Hopper")
    )
    saved.check()
    expect(saved).to_be_checked()
    shot(page, "checkout")
    assert_accessible(page)
    page.get_by_role("button", name="Place order").click()

    order = Order.objects.get(user=user)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    # The stock is held for the order while it waits for payment.
    assert order.status == OrderStatus.PENDING and order.reserved_until is not None
    assert Product.objects.get(pk=catalog.studio.pk).stock_quantity == 7
    assert Product.objects.get(pk=catalog.wireless.pk).stock_quantity == 10
    expect_cart_count(page, 0)

    # --- Pay with the test card ------------------------------------------------------------
    page.get_by_role("link", name=re.compile("Pay now")).click()
    expect(page.get_by_role("heading", level=1, name="Pay for your order")).to_be_visible()
    page.get_by_label("Card", exact=True).select_option(label="Visa ending 4242 (succeeds)")
    shot(page, "pay-page")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Pay .*207\.00")).click()
    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    shot(page, "payment-received")

    page.get_by_role("link", name="View your order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.locator(".page-heading")).to_contain_text("Paid")
    expect(page.get_by_text("Awaiting payment")).to_have_count(0)
    timeline = page.get_by_role("region", name="Status")
    expect(timeline).to_contain_text("Payment of 207.00 USD received")
    expect(page.get_by_role("region", name="Addresses")).to_contain_text("1 Navy Yard Road")
    shot(page, "paid-order")
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1, name="Your orders")).to_be_visible()
    row = page.locator(".order-row").filter(has_text=order.number)
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("3 items")
    expect(row).to_contain_text(money("207.00"))
    shot(page, "order-history")
    assert_accessible(page)

    # --- What the database holds ------------------------------------------------------------
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.reserved_until is None  # paid: no longer only held
    assert order.total == Decimal("207.00")
    # The confirmation the paid page promised.
    assert [m.to for m in mail.outbox if m.subject.endswith(f"order {order.number}")] == [
        ["grace@example.com"]
    ]
    assert order.shipping_address["line1"] == "1 Navy Yard Road"
    assert sorted((line.product_id, line.quantity) for line in order.lines.all()) == sorted(
        [(catalog.studio.pk, 1), (catalog.wireless.pk, 2)]
    )
    assert Address.objects.filter(user=user).count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount == Decimal("207.00")
    assert Product.objects.get(pk=catalog.studio.pk).stock_quantity == 7
    assert not Cart.objects.get(user=user).items.exists()


def test_declined_card_shows_why_and_a_retry_with_a_good_card_pays(live_server, page, shot):
    from accounts.services import address_create
    from cart.models import Cart
    from cart.services import cart_add_item, cart_get_for_user
    from catalog.models import Product
    from orders.models import Order, OrderStatus
    from payments.models import Payment, PaymentStatus

    catalog = headphones_catalog()
    shopper = verify_email(UserFactory(email="alan@example.com", first_name="Alan"))
    address_create(user=shopper, data=address_data(full_name="Alan Turing", line1="2 Hollymeade"))
    # Left in the cart at an earlier visit, signed in.
    cart_add_item(cart=cart_get_for_user(user=shopper), product=catalog.studio, quantity=1)

    # As a guest: one more of the same, and something else.
    open_home(page, live_server)
    search(page, "studio headphones")
    page.get_by_role("link", name="Studio Headphones", exact=True).click()
    add_to_cart(page, quantity=1)
    search(page, "budget headphones")
    page.get_by_role("link", name="Budget Headphones", exact=True).click()
    add_to_cart(page, quantity=1)
    expect_cart_count(page, 2)

    # Signing in from the checkout page; the guest cart joins the one kept for the account.
    page.get_by_role("link", name="Checkout").click()
    page.get_by_role("region", name="Your email").get_by_role("link", name="Sign in").click()
    assert_accessible(page)
    fill_sign_in_form(page, shopper.email)
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Sign out")
    expect_cart_count(page, 3)
    expect(
        page.get_by_text("Your cart also holds the items you had added when you last signed in.")
    ).to_be_visible()
    summary = page.get_by_role("complementary", name="Your order")
    expect(summary.get_by_role("listitem")).to_have_count(2)
    expect(summary.get_by_role("listitem").filter(has_text="Studio Headphones")).to_contain_text(
        "2 \N{MULTIPLICATION SIGN} $89.00"
    )
    expect(summary.get_by_role("listitem").filter(has_text="Budget Headphones")).to_contain_text(
        "1 \N{MULTIPLICATION SIGN} $19.00"
    )
    expect(summary).to_contain_text(money("197.00"))
    carts = list(Cart.objects.prefetch_related("items"))
    assert [cart.user_id for cart in carts] == [shopper.pk]  # the guest cart is gone
    assert sorted((item.product_id, item.quantity) for item in carts[0].items.all()) == sorted(
        [(catalog.studio.pk, 2), (catalog.budget.pk, 1)]
    )
    shipping = page.get_by_role("group", name="Shipping address")
    expect(shipping.get_by_role("radio", name=re.compile("Alan Turing"))).to_be_checked()
    shot(page, "checkout-merged-cart")
    assert_accessible(page)
    page.get_by_role("button", name="Place order").click()
    order = Order.objects.get(user=shopper)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")

    # --- The declined card ------------------------------------------------------------------
    page.get_by_role("link", name=re.compile("Pay now")).click()
    page.get_by_label("Card", exact=True).select_option(label="Declined card")
    page.get_by_role("button", name=re.compile(r"^Pay .*197\.00")).click()
    expect(page.get_by_role("heading", level=1, name="Payment failed")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page.get_by_text("Nothing was charged.")).to_be_visible()
    expect(page.get_by_text(f"Order {order.number} is still waiting for payment")).to_be_visible()
    shot(page, "declined-error")
    assert_accessible(page)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    # The items stay held for the order while the shopper tries again.
    assert Product.objects.get(pk=catalog.studio.pk).stock_quantity == 6

    # --- Again, with a good card -------------------------------------------------------------
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", level=1, name="Pay for your order")).to_be_visible()
    page.get_by_label("Card", exact=True).select_option(label="Mastercard ending 4444 (succeeds)")
    shot(page, "pay-again")
    page.get_by_role("button", name=re.compile(r"^Pay .*197\.00")).click()
    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()
    expect(page.get_by_text("Mastercard •••• 4444")).to_be_visible()
    page.get_by_role("link", name="View your order").click()
    expect(page.locator(".page-heading")).to_contain_text("Paid")
    shot(page, "paid-order")
    assert_accessible(page)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    payments = {payment.status: payment for payment in Payment.objects.filter(order=order)}
    assert set(payments) == {PaymentStatus.FAILED, PaymentStatus.SUCCEEDED}
    assert payments[PaymentStatus.FAILED].decline_code == "generic_decline"
    assert payments[PaymentStatus.SUCCEEDED].amount == Decimal("197.00")
    assert Product.objects.get(pk=catalog.studio.pk).stock_quantity == 6
    assert Product.objects.get(pk=catalog.budget.pk).stock_quantity == 29
