"""Full-page screenshots of the storefront and the admin dashboard for the reviewer, on a
desktop and on a phone, with a catalog that looks real (photos, categories, prices,
ratings) and paid orders for the sales chart. Each page must fit its viewport's width.

The pictures land in tests/e2e/artifacts/<test>/ (see the `shot` fixture)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from cart.services import cart_add_item, cart_get_for_user
from catalog.models import ProductImage
from catalog.services import product_image_add
from tests.e2e._look_helpers import (
    build_catalog,
    place_paid_orders,
    product_photo,
    shopper_with_address,
    sign_in,
    snap,
    wait_for_images,
    wider_than_viewport,
)
from tests.e2e.conftest import DESKTOP, PHONE, no_horizontal_scroll
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEVICES = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def catalog():
    catalog = build_catalog()
    featured = catalog.product("Walnut bluetooth speaker")
    for number, palette in enumerate((["#0f766e", "#fef3c7"], ["#1e293b", "#fb7185"]), start=2):
        product_image_add(
            user=catalog.owner,
            product=featured,
            upload=SimpleUploadedFile(f"speaker-{number}.png", product_photo(palette, seed=number)),
            alt=f"Walnut bluetooth speaker, photo {number}",
        )
    return catalog


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_for_images(page)
    assert no_horizontal_scroll(page), f"{url} scrolls sideways: {wider_than_viewport(page)}"


@pytest.mark.parametrize("screen", DEVICES)
def test_storefront_and_dashboard_screenshots(screen, catalog, browser, live_server, shot):
    shopper = shopper_with_address()
    cart = cart_get_for_user(user=shopper)
    cart_add_item(cart=cart, product=catalog.product("Walnut bluetooth speaker"), quantity=1)
    cart_add_item(cart=cart, product=catalog.product("Linen-bound notebook, A5"), quantity=3)
    place_paid_orders(catalog.products)

    context = browser.new_context(**DEVICES[screen], locale="en-GB")
    sign_in(context, shopper, live_server)
    page = context.new_page()

    open_page(page, live_server.url + "/")
    expect(page.locator(".product-card img").first).to_be_visible()
    snap(shot, page, f"home-{screen}")

    open_page(page, live_server.url + "/products/")
    expect(page.locator(".product-card")).to_have_count(12)
    # The cards show the thumbnails the (eager) Celery task made, not the full photos.
    assert not ProductImage.objects.filter(thumbnail="").exists()
    expect(page.locator(".product-card img").first).to_have_attribute("src", re.compile("/thumbs/"))
    snap(shot, page, f"product-list-{screen}")

    open_page(page, live_server.url + "/categories/audio/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audio")
    snap(shot, page, f"category-{screen}")

    speaker = catalog.product("Walnut bluetooth speaker")
    open_page(page, f"{live_server.url}/products/{speaker.slug}/")
    expect(page.locator(".gallery-thumbs img")).to_have_count(3)
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    snap(shot, page, f"product-{screen}")

    open_page(page, live_server.url + "/cart/")
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.locator(".site-header .cart-count")).to_have_text("4")
    snap(shot, page, f"cart-{screen}")

    open_page(page, live_server.url + "/checkout/")
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    snap(shot, page, f"checkout-{screen}")
    context.close()

    staff = UserFactory(is_staff=True, is_superuser=True, first_name="Sam")
    context = browser.new_context(**DEVICES[screen], locale="en-GB")
    sign_in(context, staff, live_server)
    page = context.new_page()
    open_page(page, live_server.url + "/admin/")
    expect(page.locator(".sales-chart")).to_be_visible()
    expect(page.locator(".sales-chart .bar")).not_to_have_count(0)  # the paid orders' days
    snap(shot, page, f"admin-dashboard-{screen}")
    context.close()
