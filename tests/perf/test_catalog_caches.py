"""The catalog's caches (catalog.caching): anonymous product pages, the anonymous product
API (detail and lists) and the listings' counts come from the cache without a query,
and every change to what they show is on the next anonymous request."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.test import APIClient

from cart.services import cart_add_item, cart_get_for_user
from catalog import services
from catalog.models import Product
from orders.services import order_place
from shops.services import shop_update
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db

URL = "/products/walnut-board/"


@pytest.fixture
def shop(db):
    return ShopFactory(name="Oak & Co", slug="oak-co")


@pytest.fixture
def owner(shop):
    return MembershipFactory(shop=shop, role="owner").user


@pytest.fixture
def product(shop):
    parent = CategoryFactory(name="Kitchen", slug="kitchen")
    category = CategoryFactory(name="Boards", slug="boards", parent=parent)
    return ProductFactory(
        shop=shop,
        name="Walnut board",
        slug="walnut-board",
        price="20.00",
        stock_quantity=5,
        category=category,
    )


def queries_of(client, url: str, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries)


def cached_page(url: str = URL) -> str:
    """The page for a new anonymous visitor, checked to come from the cache."""
    client = Client()
    client.get(url)
    response, count = queries_of(client, url)
    assert response.status_code == 200
    assert count == 0, f"{count} queries on a cached anonymous product page"
    return response.content.decode()


def cart_count(response) -> str:
    return re.search(r'<span class="cart-count"[^>]*>(\d+)<', response.content.decode()).group(1)


def png(color="red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), color).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


# --- The anonymous product page ---------------------------------------------------------


def test_an_anonymous_product_page_is_served_from_the_cache_without_a_query(product):
    page = cached_page()
    assert "Walnut board" in page and "Oak &amp; Co" in page


def test_per_visitor_parts_are_not_cached(product):
    """Each visitor gets their own CSRF token and their own cart count."""
    first, second = Client(), Client()
    tokens = set()
    for client in (first, second):
        page = client.get(URL).content.decode()
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1))
        assert client.cookies["csrftoken"].value
    assert len(tokens) == 2
    # A guest who put something in the cart sees the count; the other visitor does not.
    first.post("/cart/add/", {"product_id": product.pk, "quantity": 2, "next": URL})
    assert cart_count(first.get(URL)) == "2"
    assert cart_count(second.get(URL)) == "0"


def test_a_whole_page_from_the_cache_carries_a_csrf_token_that_works(product):
    """A first-time visitor's page is sent whole from the cache with their own CSRF token
    put in: the add-to-cart form posts, under Django's real CSRF check."""
    Client().get(URL)  # cached by someone else's visit
    visitor = Client(enforce_csrf_checks=True)
    response, count = queries_of(visitor, URL)
    assert count == 0
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()
    ).group(1)
    assert "csrf-" not in response.content.decode()  # no placeholder left behind
    assert visitor.cookies["csrftoken"].value

    stranger = Client(enforce_csrf_checks=True)
    stranger.get(URL)
    refused = stranger.post("/cart/add/", {"product_id": product.pk, "csrfmiddlewaretoken": token})
    assert refused.status_code == 403  # the token is this visitor's, not anyone's

    added = visitor.post(
        "/cart/add/", {"product_id": product.pk, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302
    # Now the visitor has a session (a cart): their page is rendered for them.
    assert cart_count(visitor.get(URL)) == "1"
    assert cart_count(Client().get(URL)) == "0"


def test_a_price_name_or_stock_change_shows_on_the_next_request(product, owner):
    cached_page()
    services.product_update(
        user=owner,
        product=product,
        data={"name": "Walnut board XL", "price": "24.50", "stock_quantity": 0},
    )
    page = cached_page()
    assert "Walnut board XL" in page
    assert "24.50" in page and "20.00" not in page
    assert "Out of stock" in page


def test_a_sale_changes_the_stock_shown(product):
    cached_page()
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=product, quantity=5)
    order_place(user=buyer, cart=cart, shipping_address=address_data())
    assert "Out of stock" in cached_page()


def test_an_image_and_its_thumbnail_show_on_the_next_request(
    product, owner, django_capture_on_commit_callbacks
):
    assert "No image of Walnut board yet" in cached_page()
    with django_capture_on_commit_callbacks(execute=False):
        image = services.product_image_add(user=owner, product=product, upload=png(), alt="Top")
    page = cached_page()
    assert image.image.url in page
    second = services.product_image_add(user=owner, product=product, upload=png("blue"))
    page = cached_page()
    assert 'class="gallery-thumbs"' in page
    assert "-thumb.jpg" not in page  # no thumbnail yet: the full image stands in
    services.product_image_make_thumbnail(image_id=second.pk)  # the worker's task
    second.refresh_from_db()
    assert second.thumbnail.url in cached_page()


def test_a_review_shows_with_the_new_rating(product):
    assert "No reviews yet" in cached_page()
    reviewer = UserFactory(first_name="Grace")
    services.review_create(user=reviewer, product=product, rating=5, title="Superb board")
    page = cached_page()
    assert "Superb board" in page
    assert "5.0 · 1 review" in page


def test_a_shop_or_category_rename_shows_in_the_page(product, shop):
    cached_page()
    shop_update(shop=shop, data={"name": "Walnut & Sons"})
    services.category_update(category=product.category.parent, data={"name": "Cookware"})
    page = cached_page()
    assert "Walnut &amp; Sons" in page
    assert ">Cookware</a>" in page  # the breadcrumb


def test_a_sibling_shown_beside_the_product_is_fresh_too(product, shop, owner):
    sibling = ProductFactory(shop=shop, name="Cherry spoon", price="5.00")
    assert "Cherry spoon" in cached_page()
    services.product_update(user=owner, product=sibling, data={"name": "Cherry ladle"})
    assert "Cherry ladle" in cached_page()


def test_an_unpublished_product_is_gone_at_once(product, owner):
    cached_page()
    services.products_set_active(products=[product], is_active=False, user=owner)
    assert Client().get(URL).status_code == 404
    services.products_set_active(products=[product], is_active=True, user=owner)
    cached_page()
    services.product_soft_delete(user=owner, product=product)
    assert Client().get(URL).status_code == 404


def test_a_review_page_other_than_the_first_is_cached_on_its_own(product):
    for number in range(12):
        services.review_create(
            user=UserFactory(), product=product, rating=4, title=f"Review number {number}"
        )
    first = cached_page()
    second = cached_page(URL + "?reviews_page=2")
    assert "Review number 11" in first and "Review number 11" not in second
    assert "Review number 0<" in second and "Page 2 of 2" in second


# --- The anonymous API ------------------------------------------------------------------


def api_get(url: str, expected_queries: int | None = None):
    client = APIClient()
    response, count = queries_of(client, url)
    assert response.status_code == 200, response.content
    if expected_queries is not None:
        assert count == expected_queries, f"{count} queries"
    return response.json()


def test_the_anonymous_product_detail_api_is_cached_and_follows_changes(product, owner):
    url = f"/api/v1/products/{product.pk}/"
    api_get(url)
    assert api_get(url, expected_queries=0)["price"] == "20.00"
    services.product_update(user=owner, product=product, data={"price": "21.00"})
    body = api_get(url)
    assert body["price"] == "21.00"
    image = services.product_image_add(user=owner, product=product, upload=png())
    assert [shown["thumbnail_url"] for shown in api_get(url)["images"]] == [None]
    services.product_image_make_thumbnail(image_id=image.pk)
    image.refresh_from_db()
    assert api_get(url)["images"][0]["thumbnail_url"] == (f"http://testserver{image.thumbnail.url}")
    services.review_create(user=UserFactory(), product=product, rating=3)
    assert api_get(url)["rating"] == {"average": 3.0, "count": 1}


def test_the_anonymous_product_list_is_cached_and_follows_changes(product, owner, shop):
    url = "/api/v1/products/?ordering=price"
    api_get(url)
    body = api_get(url, expected_queries=0)
    assert body["count"] == 1 and body["results"][0]["price"] == "20.00"
    services.product_update(user=owner, product=product, data={"price": "19.00"})
    assert api_get(url)["results"][0]["price"] == "19.00"
    ProductFactory(shop=shop, price="1.00", name="Cheap peg")
    body = api_get(url)
    assert body["count"] == 2 and body["results"][0]["name"] == "Cheap peg"


def test_a_signed_in_callers_list_is_not_taken_from_the_anonymous_cache(product, owner):
    services.products_set_active(products=[product], is_active=False, user=owner)
    api_get("/api/v1/products/")  # the anonymous answer, cached: nothing
    from tests.conftest import bearer_client

    body = bearer_client(owner).get("/api/v1/products/").json()
    assert [row["slug"] for row in body["results"]] == ["walnut-board"]


# --- Counts -----------------------------------------------------------------------------


def count_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # The paginator's count (the sidebar's option facets count values, not the list).
    return [
        query["sql"]
        for query in queries
        if 'COUNT(*) AS "__COUNT"' in query["sql"].upper()
        and "notifications_notification" not in query["sql"]  # the header's bell
    ]


def test_a_listing_counts_once_per_filter_set_until_the_catalog_changes(shop, owner):
    ProductFactory.create_batch(3, shop=shop)
    client = Client()
    client.force_login(UserFactory())
    # Each address is asked for once per catalog generation (its HTML is cached then):
    # what is counted here is the listing's work on a miss.
    assert len(count_queries(client, "/products/?page_size=2")) == 1
    assert count_queries(client, "/products/?page_size=2&page=2") == []  # same filters
    assert len(count_queries(client, "/products/?min_price=1")) == 1  # other filters
    product = Product.objects.filter(shop=shop).first()
    services.product_update(user=owner, product=product, data={"price": "99.00"})
    assert len(count_queries(client, "/products/?page_size=2")) == 1
    response = client.get("/products/?page_size=2&page=2")
    assert response.context["paginator"].count == 3
    assert response.context["page_obj"].number == 2


# --- The listing pages ------------------------------------------------------------------


def cached_listing(url: str, client=None, queries: int | None = None) -> str:
    """A listing page, checked to come from the cache for this visitor: no query but
    the shop of a shop's page (its header), or `queries` (a signed-in visitor's)."""
    client = client or Client()
    client.get(url)
    response, count = queries_of(client, url)
    assert response.status_code == 200
    if queries is None:
        queries = 0  # an open shop's page too: the shop is cached (catalog.views.listings)
    assert count == queries, f"{count} queries on a cached listing {url}"
    return response.content.decode()


LISTINGS = ["/products/", "/products/?q=walnut", "/categories/kitchen/", "/shops/oak-co/"]


@pytest.mark.parametrize("url", LISTINGS)
def test_a_listing_is_served_from_the_cache_and_follows_a_product_change(url, product, owner):
    client, queries = Client(), None  # a shop's page: anonymous visitors only
    if not url.startswith("/shops/"):
        # The public listing is the same for everyone: signed-in visitors' too. Theirs
        # reads the session, the user and their cart, not the listing.
        client.force_login(UserFactory())
        queries = 3
    page = cached_listing(url, client, queries)
    assert "Walnut board" in page and "$20.00" in page
    services.product_update(user=owner, product=product, data={"price": "24.50"})
    page = cached_listing(url, client, queries)
    assert "$24.50" in page and "$20.00" not in page
    services.products_set_active(products=[product], is_active=False, user=owner)
    assert "Walnut board" not in client.get(url).content.decode()


def test_a_cached_listing_renders_the_visitors_own_header_and_csrf_token(product):
    """The listing's HTML is shared; the header (cart count, sign-in state) and the CSRF
    token are each visitor's."""
    url = "/products/"
    guest, buyer = Client(), Client()
    buyer.force_login(UserFactory(first_name="Ada"))
    cached_listing(url, guest)
    guest.post("/cart/add/", {"product_id": product.pk, "quantity": 3, "next": url})
    assert cart_count(guest.get(url)) == "3"
    page = buyer.get(url)
    assert cart_count(page) == "0"
    html = page.content.decode()
    assert "Sign out" in html and "Walnut board" in html
    assert "Sign out" not in Client().get(url).content.decode()
    # Each signed-in visitor's sign-out form carries their own CSRF token.
    other = Client()
    other.force_login(UserFactory())
    tokens = set()
    for client in (buyer, other):
        html = client.get(url).content.decode()
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))
        assert client.cookies["csrftoken"].value
    assert len(tokens) == 2


def test_a_new_product_image_shop_rename_or_category_rename_shows_in_the_listing(
    product, owner, shop
):
    url = "/products/?page_size=5"
    assert "image-placeholder" in cached_listing(url)
    image = services.product_image_add(user=owner, product=product, upload=png())
    assert image.image.url in cached_listing(url)
    shop_update(shop=shop, data={"name": "Walnut & Sons"})
    assert "Walnut &amp; Sons" in cached_listing(url)
    services.category_update(category=product.category.parent, data={"name": "Cookware"})
    assert ">Cookware</a>" in cached_listing(url)  # the filter panel's category tree
    ProductFactory(shop=shop, name="Cherry spoon", price="5.00")
    page = cached_listing(url)
    assert "Cherry spoon" in page and "<strong>2</strong> products" in page


def test_a_sale_that_empties_the_stock_shows_in_the_listing(product):
    url = "/categories/boards/"
    assert "Only 5 left" in cached_listing(url)
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=product, quantity=5)
    order_place(user=buyer, cart=cart, shipping_address=address_data())
    assert "Out of stock" in cached_listing(url)


def test_a_members_shop_page_is_not_taken_from_the_anonymous_cache(product, owner):
    services.products_set_active(products=[product], is_active=False, user=owner)
    assert "Walnut board" not in cached_listing("/shops/oak-co/")
    # A closed shop leaves the anonymous cache at once: 404, not its cached page.
    from shops.services import shop_deactivate

    shop_deactivate(shop=product.shop, by=None)
    assert Client().get("/shops/oak-co/").status_code == 404
    member = Client()
    member.force_login(owner)
    page = member.get("/shops/oak-co/").content.decode()
    assert "Walnut board" in page and "Not published" in page


def test_each_page_of_a_listing_is_cached_on_its_own(shop):
    for number in range(3):
        ProductFactory(shop=shop, name=f"Item number {number}")
    first = cached_listing("/products/?page_size=2")
    second = cached_listing("/products/?page_size=2&page=2")
    assert "Item number 2" in first and "Item number 2" not in second
    assert "Item number 0" in second and "3\u20133 of" in second
    assert "(page 2)" in second  # the title, rendered around the cached listing
