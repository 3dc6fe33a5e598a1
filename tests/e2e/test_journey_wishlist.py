"""The wishlist in a real browser (issue 19): a guest saves a product with a card's
heart, sees it on the wishlist page, signs in and still has it, and moves it to the
cart."""

import pytest
from playwright.sync_api import expect

from tests.factories import ProductFactory, UserFactory, verify_email

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_guest_saves_with_a_heart_then_signs_in_and_moves_it_to_the_cart(live_server, page):
    ProductFactory(name="Brass Lamp", slug="brass-lamp", price="40.00")
    person = verify_email(UserFactory(email="ines@example.com"))
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}/products/")
    heart = page.get_by_role("button", name="Save Brass Lamp to your wishlist")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    page.goto(f"{live_server.url}/wishlist/")
    expect(page.get_by_role("heading", level=2, name="Brass Lamp")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password", exact=True).fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/wishlist/")
    page.get_by_role("button", name="Move to cart Brass Lamp").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Brass Lamp")).to_be_visible()
