"""Journeys through the admin, in Chromium, as the people who use it.

4. A shop owner signs in to /admin/, adds a product with a photo, and once the real
   Celery worker has made its thumbnail, sees it on the storefront.
5. Platform staff read the sales dashboard (the chart is drawn), ship an order and
   refund part of it; the shopper sees both on their order page.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from playwright.sync_api import expect

from catalog.models import Product, ProductImage
from catalog.services import THUMBNAIL_SIZE
from orders.models import OrderStatus
from payments.models import Refund
from tests.e2e._admin_helpers import (
    admin_sign_in,
    box_of,
    cut_off,
    grant,
    jpeg_bytes,
    labelled,
    open_admin,
    own_markup_violations,
    paid_order,
    storefront_sign_in,
)
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import DESKTOP, PHONE, no_horizontal_scroll
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    verify_email,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# --- 4. A shop owner adds a product with a photo ------------------------------------------


def test_shop_owner_adds_a_product_with_a_photo_and_sees_its_thumbnail(
    live_server, page, shot, celery_worker, wait_for
):
    membership = MembershipFactory(
        role="owner", shop__name="Lumen Lighting", user__email="owner@lumen.example"
    )
    shop = membership.shop

    # The admin asks who is there first.
    open_admin(page, live_server.url)
    shot(page, "admin-login")
    admin_sign_in(page, live_server.url, "owner@lumen.example")
    expect(page.locator("#seller-dashboard")).to_contain_text("No orders yet.")
    shot(page, "owner-dashboard")
    assert own_markup_violations(page, "#seller-dashboard") == []

    # From the dashboard to the list of the shop's products, then "Add product".
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_role("link", name="Add product").click()
    expect(page.get_by_role("heading", name="Add product", level=1)).to_be_visible()

    # The owner's one shop is chosen already; every required field is filled by its label.
    expect(labelled(page, "Shop")).to_have_value(str(shop.pk))
    labelled(page, "Name").fill("Brass desk lamp")
    labelled(page, "Description").fill("A warm, dimmable lamp in solid brass.")
    labelled(page, "Price").fill("89.00")
    labelled(page, "Stock quantity").fill("12")
    expect(labelled(page, "Is active")).to_be_checked()

    photo_row = page.locator("#images-group tbody tr.form-row").first
    labelled(photo_row, "Image").set_input_files(
        {"name": "brass-lamp.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1200, 900)}
    )
    labelled(photo_row, "Alternative text").fill("Brass desk lamp, lit, on an oak desk")
    shot(page, "product-add-form")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".messagelist")).to_contain_text("Brass desk lamp")

    product = Product.objects.get(name="Brass desk lamp")
    assert product.shop == shop
    assert product.price == Decimal("89.00")
    assert product.stock_quantity == 12
    assert product.is_active and product.sku  # a SKU was made up
    image = ProductImage.objects.get(product=product)
    assert image.alt == "Brass desk lamp, lit, on an oak desk"
    assert (image.width, image.height) == (1200, 900)

    # The storefront's list of products: the card shows the photo; once the worker has
    # made the thumbnail (a reload away), the card shows the thumbnail.
    page.goto(live_server.url + "/products/")
    card = page.locator("article.product-card", has_text="Brass desk lamp")
    expect(card).to_be_visible()
    photo = card.get_by_role("img", name="Brass desk lamp, lit, on an oak desk")

    def thumbnail_shown() -> bool:
        page.reload()
        return "/thumbs/" in (photo.get_attribute("src") or "")

    wait_for(thumbnail_shown, message="the storefront to show the thumbnail")
    image.refresh_from_db()
    assert image.thumbnail, "the worker stored the thumbnail"
    expect(photo).to_have_attribute("src", re.compile(re.escape(image.thumbnail.url) + "$"))
    photo.scroll_into_view_if_needed()
    expect(photo).to_have_js_property("complete", True)
    with default_storage.open(image.thumbnail.name, "rb") as stored, Image.open(stored) as small:
        thumbnail_size = small.size
    assert thumbnail_size[0] <= THUMBNAIL_SIZE[0] and thumbnail_size[1] <= THUMBNAIL_SIZE[1]
    loaded = photo.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert tuple(loaded) == thumbnail_size, "the browser did not load the thumbnail"
    shot(page, "storefront-product-with-thumbnail")
    assert_accessible(page)

    # The product's own page shows the photo, under its name.
    card.get_by_role("link", name="Brass desk lamp").click()
    expect(page.get_by_role("heading", name="Brass desk lamp", level=1)).to_be_visible()
    main_photo = page.get_by_role("img", name="Brass desk lamp, lit, on an oak desk")
    expect(main_photo).to_have_js_property("complete", True)
    assert main_photo.evaluate("img => img.naturalWidth") == 1200
    expect(page.locator(".product-price")).to_contain_text("89.00")
    shot(page, "storefront-product-page")
    assert_accessible(page)

    # What is stored: one product, one image, and the thumbnail file beside it.
    assert Product.objects.filter(shop=shop).count() == 1
    assert ProductImage.objects.filter(product=product).count() == 1
    assert default_storage.exists(image.image.name)
    assert default_storage.exists(image.thumbnail.name)
    assert image.thumbnail.name.startswith(f"products/{product.pk}/thumbs/")


# --- 5. Staff: the dashboard, shipping an order, a partial refund ---------------------------


def test_staff_read_the_dashboard_ship_an_order_and_refund_part_of_it(
    live_server, page, browser, shot
):
    staff = StaffFactory(email="desk@shop.example", permissions=[])
    grant(
        staff,
        "orders.view_order",
        "orders.change_order",
        "payments.view_payment",
        "payments.change_payment",
        "payments.add_refund",
        "payments.view_refund",
    )
    shopper = verify_email(UserFactory(email="grace@example.com", first_name="Grace"))
    other = verify_email(UserFactory(email="alan@example.com"))
    kettle = ProductFactory(name="Copper kettle", price=Decimal("45.00"), stock_quantity=20)
    mugs = ProductFactory(name="Stoneware mugs", price=Decimal("12.50"), stock_quantity=40)
    order = paid_order(user=shopper, items=[(kettle, 1), (mugs, 2)])
    paid_order(user=other, items=[(mugs, 4)])
    paid_order(user=other, items=[(kettle, 2)])
    assert order.status == OrderStatus.PAID

    # The dashboard: today's sales and a drawn chart.
    admin_sign_in(page, live_server.url, "desk@shop.example")
    today = page.get_by_role("region", name="Today")
    expect(today).to_contain_text("USD 210.00")  # 70.00 + 50.00 + 90.00
    expect(today).to_contain_text("3 orders")
    chart = page.get_by_role("img", name=re.compile("Daily revenue and orders"))
    expect(chart).to_be_visible()
    chart_box = box_of(chart)
    assert chart_box["width"] > 600 and chart_box["height"] > 150
    bars = chart.locator("rect.bar")
    expect(bars).to_have_count(1)  # every order was placed today
    bar = box_of(bars.first)
    assert bar["width"] > 0 and bar["height"] > 0
    line = box_of(chart.locator("polyline"))
    assert line["width"] > 0 and line["height"] > 0
    shot(page, "dashboard-desktop")
    assert own_markup_violations(page, "#sales-dashboard") == []

    page.set_viewport_size(PHONE)
    expect(chart).to_be_visible()
    phone_chart = box_of(chart)
    assert 0 < phone_chart["width"] <= PHONE["width"]
    assert box_of(bars.first)["height"] > 0
    # Its labels stay readable although the chart is half as wide.
    assert box_of(chart.locator("text.chart-tick").last)["height"] >= 8
    assert cut_off(page) == [], "cut off on a phone"
    assert no_horizontal_scroll(page)
    shot(page, "dashboard-phone")
    page.set_viewport_size(DESKTOP)

    # From the dashboard to the list of orders; the order goes through processing to
    # shipped with the list's actions (the status machine allows no shortcut).
    page.get_by_role("link", name="All orders").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Select order to"), level=1)
    ).to_be_visible()

    def run_action(label: str) -> None:
        row = page.get_by_role("row").filter(has_text=order.number)
        row.get_by_role("checkbox").check()
        page.get_by_role("combobox", name=re.compile("^Action")).select_option(label=label)
        page.get_by_role("button", name="Go").click()

    run_action("Mark processing")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Marked processing: 1 order: {order.number}."
    )
    run_action("Mark shipped")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Marked shipped: 1 order: {order.number}."
    )
    expect(page.get_by_role("row").filter(has_text=order.number)).to_contain_text("Shipped")

    # The order's page: shipped, with its history and its payment.
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", name=re.compile(order.number))).to_be_visible()
    expect(page.locator("div.form-row.field-status")).to_contain_text("Shipped")
    history = page.locator(".inline-group", has_text="Status history")
    expect(history).to_contain_text("Processing")
    expect(history).to_contain_text("desk@shop.example")
    shot(page, "order-change")

    # Its payment, and the payment's refund page: 20.00 of 70.00 back.
    page.locator(".inline-group", has_text="Payments").get_by_role(
        "link", name=re.compile("View|Change")
    ).click()
    page.get_by_role("link", name="Refund…").click()
    expect(
        page.get_by_role("heading", name=f"Refund payment of order {order.number}")
    ).to_be_visible()
    amount = labelled(page, "Amount")
    expect(amount).to_have_accessible_description(re.compile("everything that remains"))
    # A slip of the finger first: more than was paid is refused beside the field.
    amount.fill("700.00")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".form-row.errors")).to_contain_text("At most 70.00 USD remains to refund.")
    assert not Refund.objects.filter(payment__order=order).exists()
    amount = labelled(page, "Amount")
    expect(amount).to_have_value("700.00")
    expect(amount).to_have_attribute("aria-invalid", "true")
    amount.fill("20.00")
    labelled(page, "Reason").select_option(label="Requested by the customer")
    shot(page, "refund-form")
    assert own_markup_violations(page, "#content-main") == []
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"Refunded 20.00 USD of order {order.number}"
    )
    expect(page.locator(".inline-group", has_text="Refunds")).to_contain_text("20.00")

    # The shopper, in a browser of their own, sees it all on their order page.
    shopper_context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        own = shopper_context.new_page()
        own.set_default_timeout(15_000)
        storefront_sign_in(own, live_server.url, "grace@example.com", next_path="/orders/")
        listed = own.get_by_role("listitem").filter(has_text=order.number)
        expect(listed).to_contain_text("Shipped")
        assert_accessible(own)
        own.get_by_role("link", name=re.compile(order.number)).click()
        expect(own.get_by_role("heading", name=f"Order {order.number}", level=1)).to_be_visible()
        expect(own.locator(".page-heading .status-badge")).to_have_text("Shipped")
        timeline = own.get_by_role("region", name="Status")
        expect(timeline).to_contain_text("Processing")
        expect(timeline).to_contain_text("Shipped")
        payments = own.get_by_role("region", name="Payment")
        expect(payments).to_contain_text("Refunded $20.00")
        expect(payments.locator(".refund-item")).to_contain_text("Requested by the customer")
        expect(own.locator(".totals-refund")).to_contain_text("$20.00")
        shot(own, "shopper-order-page")
        assert_accessible(own)
    finally:
        shopper_context.close()

    # What is stored.
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.refunded_total == Decimal("20.00")
    refund = Refund.objects.get(payment__order=order)
    assert refund.amount == Decimal("20.00")
    assert refund.created_by == staff
    assert list(order.status_history.values_list("to_status", flat=True).order_by("at", "id")) == [
        OrderStatus.PENDING,
        OrderStatus.PAID,
        OrderStatus.PROCESSING,
        OrderStatus.SHIPPED,
    ]
