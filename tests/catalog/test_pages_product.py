"""The product page: gallery, price and stock, add-to-cart form, breadcrumbs, tags,
reviews and the review form, who may see it, and its query budget."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product, Review
from tests.catalog.test_pages import add_image
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ReviewFactory,
    ShopFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
    set_stock,
)

pytestmark = pytest.mark.django_db


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def cart_form(page: str) -> str:
    return page.split('<form class="add-to-cart"')[1].split("</form>")[0]


@pytest.fixture
def product():
    home = CategoryFactory(name="Home", slug="home-and-living")
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", parent=home)
    return ProductFactory(
        name="Walnut Board",
        slug="walnut-board",
        shop=ShopFactory(name="Oak Works", slug="oak-works"),
        category=kitchen,
        price="49.90",
        stock_quantity=12,
        description="Solid walnut.\n\nOiled by hand.",
        tags=[TagFactory(name="walnut", slug="walnut"), TagFactory(name="gift", slug="gift")],
    )


# --- What the page shows -------------------------------------------------------------------


def test_the_product_page_shows_name_price_shop_breadcrumbs_tags_and_description(client, product):
    page = html(client.get("/products/walnut-board/"))

    assert "<title>Walnut Board · Shop</title>" in page
    assert '<h1 class="product-title">Walnut Board</h1>' in page
    assert '<p class="product-price">$49.90</p>' in page
    assert "In stock" in page
    assert 'href="/shops/oak-works/">Oak Works</a>' in page
    breadcrumbs = page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert re.findall(r">([^<>]+)</(?:a|li)>", breadcrumbs) == [
        "Home",
        "Products",
        "Home",
        "Kitchen",
        "Walnut Board",
    ]
    assert 'href="/categories/kitchen/"' in breadcrumbs
    assert 'href="/products/?tag=gift">#gift</a>' in page
    assert 'href="/products/?tag=walnut">#walnut</a>' in page
    assert "<p>Solid walnut.</p>\n\n<p>Oiled by hand.</p>" in page
    assert "No reviews yet" in page


@pytest.mark.parametrize(
    ("stock", "label"),
    [(12, "In stock"), (3, "Only 3 left"), (1, "Only 1 left"), (0, "Out of stock")],
)
def test_the_stock_state_is_spelled_out(client, stock, label):
    ProductFactory(slug="thing", stock_quantity=stock)
    assert f">{label}</p>" in html(client.get("/products/thing/"))


def test_prices_show_their_currency(client):
    ProductFactory(slug="euro", price="19.99", currency="EUR")
    ProductFactory(slug="franc", price="19.99", currency="CHF")
    assert ">€19.99<" in html(client.get("/products/euro/"))
    assert ">19.99 CHF<" in html(client.get("/products/franc/"))


def test_the_add_to_cart_form_posts_the_product_and_a_quantity_up_to_the_stock(client, product):
    form = cart_form(html(client.get("/products/walnut-board/")))

    assert 'method="post" action="/cart/add/"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'<input type="hidden" name="product_id" value="{product.pk}">' in form
    assert 'type="number" name="quantity" value="1" min="1" max="12"' in form
    assert '<label for="quantity">Quantity</label>' in form
    assert "disabled" not in form


def test_the_add_to_cart_button_is_disabled_when_out_of_stock(client, product):
    set_stock(product, 0)

    form = cart_form(html(client.get("/products/walnut-board/")))

    assert '<button type="submit" class="button button-cart" disabled>' in form
    assert 'name="quantity" value="1" min="1" disabled' in form


# --- Gallery -------------------------------------------------------------------------------


def test_the_gallery_shows_the_first_image_and_a_strip_of_thumbnails(client, product):
    first = add_image(product, alt="The board from above", thumbnail=True)
    second = add_image(product)

    page = html(client.get("/products/walnut-board/"))

    main = page.split('id="gallery-main-image"')[1].split(">")[0]
    assert f'src="{first.image.url}"' in main and 'alt="The board from above"' in main
    assert 'width="8" height="6"' in main
    thumbs = page.split('class="gallery-thumbs"')[1].split("</ul>")[0]
    assert f'href="?image={first.pk}#gallery"' in thumbs
    assert f'href="?image={second.pk}#gallery"' in thumbs
    assert f'src="{first.thumbnail.url}"' in thumbs  # the thumbnail once it is made
    assert f'src="{second.image.url}"' in thumbs  # the image itself until then
    assert 'alt="Walnut Board (image 2 of 2)"' in thumbs  # no alt given: the product's name
    assert 'src="/static/js/catalog.' in page


def test_a_thumbnail_link_shows_its_image_without_javascript(client, product):
    add_image(product)
    second = add_image(product, alt="The back")

    page = html(client.get(f"/products/walnut-board/?image={second.pk}"))

    main = page.split('id="gallery-main-image"')[1].split(">")[0]
    assert f'src="{second.image.url}"' in main
    assert 'aria-current="true"' in page.split(f'?image={second.pk}#gallery"')[1].split(">")[0]


def test_a_product_without_images_shows_a_placeholder(client, product):
    page = html(client.get("/products/walnut-board/"))
    assert 'aria-label="No image of Walnut Board yet"' in page
    assert "gallery-thumbs" not in page


def test_every_image_on_the_page_has_alt_text(client, product):
    add_image(product)
    add_image(product)
    ProductFactory(shop=product.shop)  # "more from the shop"
    page = html(client.get("/products/walnut-board/"))
    for tag in re.findall(r"<img\b[^>]*>", page):
        assert re.search(r'alt="[^"]*"', tag), tag


# --- Visibility ----------------------------------------------------------------------------


def test_an_unknown_product_is_a_404_page(client):
    response = client.get("/products/nothing-like-this/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_soft_deleted_product_is_a_404_even_for_its_shop(client, product):
    member = MembershipFactory(shop=product.shop).user
    Product.objects.filter(pk=product.pk).update(deleted_at=timezone.now(), is_active=False)

    assert client.get("/products/walnut-board/").status_code == 404
    client.force_login(member)
    assert client.get("/products/walnut-board/").status_code == 404


def test_an_unpublished_product_is_a_404_for_everyone_but_its_shop_and_staff(client, product):
    Product.objects.filter(pk=product.pk).update(is_active=False)
    member = MembershipFactory(shop=product.shop, role="staff").user
    other_shop_member = MembershipFactory().user

    assert client.get("/products/walnut-board/").status_code == 404
    client.force_login(other_shop_member)
    assert client.get("/products/walnut-board/").status_code == 404

    for viewer in (member, StaffFactory()):
        client.force_login(viewer)
        page = html(client.get("/products/walnut-board/"))
        assert "Not published" in page
        assert '<meta name="robots" content="noindex">' in page
        assert "disabled" in cart_form(page)


def test_a_product_of_an_inactive_shop_is_a_404(client, product):
    type(product.shop).objects.filter(pk=product.shop_id).update(is_active=False)
    assert client.get("/products/walnut-board/").status_code == 404


# --- Reviews -------------------------------------------------------------------------------


def test_reviews_show_stars_author_first_name_title_body_badge_and_date(client, product):
    ReviewFactory(
        product=product,
        user=UserFactory(first_name="Ada"),
        rating=5,
        title="Heirloom quality",
        body="Use it daily.",
        verified_purchase=True,
    )
    ReviewFactory(product=product, user=UserFactory(first_name=""), rating=2, title="", body="")
    Product.objects.filter(pk=product.pk).update(rating_average=Decimal("3.50"), rating_count=2)

    page = html(client.get("/products/walnut-board/"))

    reviews = page.split('id="reviews"')[1]
    assert '<p class="review-average">3.5<span class="muted"> / 5</span></p>' in reviews
    assert 'aria-label="3.5 out of 5 stars"' in page
    assert "Based on 2 reviews" in reviews
    assert '<h3 class="review-title">Heirloom quality</h3>' in reviews
    assert 'aria-label="5 out of 5 stars"' in reviews and 'aria-label="2 out of 5 stars"' in reviews
    assert '<span class="review-author">Ada</span>' in reviews
    assert '<span class="review-author">A customer</span>' in reviews
    assert reviews.count("Verified purchase") == 1
    assert "<p>Use it daily.</p>" in reviews
    assert f'<time datetime="{timezone.now():%Y-%m-%d}' in reviews


def test_a_review_with_html_is_shown_escaped(client, product):
    ReviewFactory(product=product, title="<b>Hi</b>", body="<script>alert(1)</script>")

    page = html(client.get("/products/walnut-board/"))

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Hi&lt;/b&gt;" in page


def test_reviews_are_paginated(client, product):
    for n in range(12):
        ReviewFactory(product=product, title=f"Review {n:02d}")

    first = html(client.get("/products/walnut-board/"))
    second = html(client.get("/products/walnut-board/?reviews_page=2"))

    assert "Review 11" in first and "Review 02" in first and "Review 01" not in first
    assert "Review 01" in second and "Review 00" in second and "Review 11" not in second
    assert 'href="?reviews_page=2#reviews"' in first


def test_anonymous_visitors_are_asked_to_sign_in_to_review(client, product):
    page = html(client.get("/products/walnut-board/"))

    assert 'href="/accounts/login/?next=/products/walnut-board/">Sign in to write a review' in page
    assert 'name="rating"' not in page

    response = client.post("/products/walnut-board/review/", {"rating": "5"})
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/products/walnut-board/"
    assert not Review.objects.exists()


def test_a_signed_in_customer_reviews_and_the_average_changes(client, product, user):
    ReviewFactory(product=product, rating=2)
    from catalog.services import product_rating_refresh

    product_rating_refresh(product=product)
    client.force_login(user)
    form_page = html(client.get("/products/walnut-board/"))
    assert '<label for="id_rating">Your rating</label>' in form_page
    assert (
        '<label for="id_title">Title' in form_page
        and '<label for="id_body">Your review' in form_page
    )
    assert 'aria-label="2 out of 5 stars"' in form_page

    response = client.post(
        "/products/walnut-board/review/",
        {"rating": "5", "title": "Lovely", "body": "Smells of walnut."},
    )

    assert response.status_code == 302
    assert response.url == "/products/walnut-board/#reviews"
    review = Review.objects.get(user=user)
    assert (review.rating, review.title, review.body) == (5, "Lovely", "Smells of walnut.")
    page = html(client.get("/products/walnut-board/"))
    assert "Thank you: your review is published." in page
    assert '<h3 class="review-title">Lovely</h3>' in page
    assert 'aria-label="3.5 out of 5 stars"' in page
    assert "Based on 2 reviews" in page
    assert "You reviewed this product on" in page
    assert 'name="rating"' not in page  # no second form


def test_a_second_review_shows_the_already_reviewed_error(client, product, user):
    ReviewFactory(product=product, user=user, rating=4)
    client.force_login(user)

    response = client.post("/products/walnut-board/review/", {"rating": "1", "title": "Again"})

    page = html(response)
    assert "You have already reviewed this product" in page
    assert 'role="alert"' in page
    assert Review.objects.filter(user=user).count() == 1


def test_a_shop_member_cannot_review_the_shops_products(client, product):
    member = MembershipFactory(shop=product.shop, role="staff").user
    client.force_login(member)

    assert "a shop's own members cannot review" in html(client.get("/products/walnut-board/"))
    page = html(client.post("/products/walnut-board/review/", {"rating": "5"}))
    assert "Members of the product&#x27;s shop cannot review it." in page
    assert not Review.objects.exists()


def test_a_review_needs_a_rating(client, product, user):
    client.force_login(user)

    page = html(client.post("/products/walnut-board/review/", {"rating": "", "title": "Meh"}))

    assert "This field is required." in page
    assert 'value="Meh"' in page  # what was typed is kept
    assert not Review.objects.exists()
    page = html(client.post("/products/walnut-board/review/", {"rating": "9"}))
    assert "Select a valid choice." in page


def test_reviewing_an_unknown_product_is_a_404(client, user):
    client.force_login(user)
    assert client.post("/products/nope/review/", {"rating": "5"}).status_code == 404


def test_the_review_address_takes_only_post(client, product):
    assert client.get("/products/walnut-board/review/").status_code == 405


# --- More from the shop --------------------------------------------------------------------


def test_the_page_suggests_more_products_of_the_same_shop(client, product):
    ProductFactory(name="Walnut Spoon", shop=product.shop)
    ProductFactory(name="Somebody Else's Thing")

    page = html(client.get("/products/walnut-board/"))

    more = page.split('id="more-title"')[1]
    assert "More from Oak Works" in page
    assert "Walnut Spoon" in more and "Somebody Else" not in more


# --- Query budget --------------------------------------------------------------------------

DETAIL_BUDGET = 9  # product, tags, images, review count, reviews, more (3), category tree


def fill(product, count: int) -> None:
    for _ in range(count):
        add_image(product)
        ReviewFactory(product=product)
        ProductFactory(shop=product.shop, tags=[TagFactory()])


def detail_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [1, 10])
def test_the_product_page_stays_within_one_query_budget(
    client, product, django_assert_max_num_queries, count
):
    fill(product, count)
    client.get("/products/walnut-board/")
    with django_assert_max_num_queries(DETAIL_BUDGET):
        page = html(client.get("/products/walnut-board/"))
    assert page.count('class="review"') == count


def test_the_product_page_costs_the_same_with_one_or_ten_reviews_and_images(client, product, user):
    client.force_login(user)
    fill(product, 1)
    one = detail_queries(client, "/products/walnut-board/")
    fill(product, 9)
    ten = detail_queries(client, "/products/walnut-board/")
    assert (
        one == ten <= DETAIL_BUDGET + 5
    )  # session, user, the user's shops, own review, membership
