"""A shopper signs in from a product page to review it: the review appears with its
stars, and the product's average rating on the page moves (someone else's 5-star review
was there)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e._shopper_helpers import fill_sign_in_form, headphones_catalog, open_home, search
from tests.e2e.a11y import assert_accessible
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signed_in_shopper_reviews_and_the_average_moves(live_server, page, shot):
    from catalog.models import Product, Review
    from catalog.services import review_create

    catalog = headphones_catalog()
    review_create(
        user=UserFactory(first_name="Margaret"),
        product=catalog.wireless,
        rating=5,
        title="Best I have owned",
        body="The battery really lasts.",
    )
    shopper = UserFactory(email="ada@example.com", first_name="Ada")

    # A guest finds the product and is asked to sign in to review it.
    open_home(page, live_server)
    search(page, "wireless")
    page.get_by_role("link", name="Wireless Headphones", exact=True).click()
    page.get_by_role("link", name="Sign in to write a review").click()
    assert_accessible(page)
    fill_sign_in_form(page, shopper.email)
    # Back on the product, signed in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Wireless Headphones")
    expect(page.get_by_role("banner")).to_contain_text("Sign out")

    summary = page.locator(".product-summary")
    reviews = page.get_by_role("region", name="Reviews")
    expect(summary.get_by_role("link", name="5.0 · 1 review")).to_be_visible()
    expect(summary.get_by_role("img", name="5 out of 5 stars")).to_be_visible()
    expect(reviews.locator(".review-average")).to_have_text(re.compile(r"^5\.0\s*/\s*5$"))
    expect(reviews.get_by_text("Based on 1 review")).to_be_visible()
    assert_accessible(page)

    # --- Write the review -----------------------------------------------------------------
    form = reviews.get_by_role("heading", name="Write a review").locator("xpath=..")
    form.get_by_label("Your rating").select_option(label="3 stars — Average")
    form.get_by_label("Title").fill("Good, but tight")
    form.get_by_label("Your review").fill("Sounds fine; they pinch after an hour.")
    form.get_by_role("button", name="Publish review").click()

    expect(page.get_by_text("Thank you: your review is published.")).to_be_visible()
    mine = reviews.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Good, but tight")
    )
    expect(mine).to_be_visible()
    expect(mine.get_by_role("img", name="3 out of 5 stars")).to_be_visible()
    expect(mine).to_contain_text("Ada")
    expect(mine).to_contain_text("they pinch after an hour")
    expect(reviews.get_by_role("article")).to_have_count(2)

    # The average moved from 5.0 to 4.0, in the summary at the top and beside the reviews.
    expect(summary.get_by_role("link", name="4.0 · 2 reviews")).to_be_visible()
    expect(summary.get_by_role("img", name="4 out of 5 stars")).to_be_visible()
    expect(reviews.locator(".review-average")).to_have_text(re.compile(r"^4\.0\s*/\s*5$"))
    expect(reviews.get_by_text("Based on 2 reviews")).to_be_visible()
    # One review per person: the form has made way for a thank-you.
    expect(reviews.get_by_role("button", name="Publish review")).to_have_count(0)
    expect(reviews.get_by_text(re.compile(r"You reviewed this product on"))).to_be_visible()
    # The page opened at #reviews; a full-page shot taken there draws the sticky header
    # in the middle of the picture.
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "review-shown")
    assert_accessible(page)

    # The listing's card shows the new average too.
    search(page, "wireless")
    card = page.locator(".product-card").filter(has_text="Wireless Headphones")
    expect(card.get_by_role("img", name="4 out of 5 stars")).to_be_visible()

    review = Review.objects.get(user=shopper)
    assert (review.product_id, review.rating, review.title) == (
        catalog.wireless.pk,
        3,
        "Good, but tight",
    )
    product = Product.objects.get(pk=catalog.wireless.pk)
    assert (product.rating_average, product.rating_count) == (Decimal("4.00"), 2)
