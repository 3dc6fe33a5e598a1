"""The storefront's product listing, search and category pages (Django's test client):
filters, sorts, pagination, empty states, invalid input and the query budget."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, ProductFactory, ShopFactory, TagFactory

pytestmark = pytest.mark.django_db

CARD_NAME = re.compile(
    r'<h3 class="product-card-title"><a class="stretched-link" href="[^"]+">([^<]+)</a>'
)


def names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return CARD_NAME.findall(response.content.decode())


def html(response) -> str:
    return response.content.decode()


def rated(product, average: str, count: int):
    type(product).objects.filter(pk=product.pk).update(
        rating_average=Decimal(average), rating_count=count
    )
    return product


# --- The list and its cards ----------------------------------------------------------------


def test_product_list_shows_cards_with_name_shop_price_stars_and_stock(client):
    shop = ShopFactory(name="Oak & Iron")
    rated(
        ProductFactory(name="Walnut Board", shop=shop, price="1299.50", stock_quantity=3), "4.5", 12
    )
    ProductFactory(name="Tea Towel", price="7.00", stock_quantity=0)

    response = client.get("/products/")

    page = html(response)
    assert names(response) == ["Tea Towel", "Walnut Board"]
    assert "<title>All products · Shop</title>" in page
    assert "$1,299.50" in page and "$7.00" in page
    assert "Oak &amp; Iron" in page and 'href="/shops/' in page
    assert 'aria-label="4.5 out of 5 stars"' in page and "(12" in page
    assert "Only 3 left" in page and "Out of stock" in page
    assert "No reviews yet" in page
    assert "<strong>2</strong> products" in page
    assert "<h1>All products</h1>" in page


def test_every_filter_field_has_a_label(client):
    ProductFactory()
    page = html(client.get("/products/"))
    for field_id in (
        "filter-shop",
        "filter-min-price",
        "filter-max-price",
        "filter-in-stock",
        "filter-min-rating",
        "sort-select",
    ):
        assert f'id="{field_id}"' in page
        assert f'for="{field_id}"' in page


def test_unpublished_and_deleted_products_are_not_listed(client):
    from django.utils import timezone

    ProductFactory(name="Visible")
    ProductFactory(name="Hidden", is_active=False)
    ProductFactory(name="Deleted", deleted_at=timezone.now(), is_active=False)
    ProductFactory(name="Closed shop", shop=ShopFactory(is_active=False))

    assert names(client.get("/products/")) == ["Visible"]


# --- Filters -------------------------------------------------------------------------------


@pytest.fixture
def catalog():
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    knives = CategoryFactory(name="Knives", slug="knives", parent=kitchen)
    garden = CategoryFactory(name="Garden", slug="garden")
    oak = ShopFactory(name="Oak", slug="oak")
    iron = ShopFactory(name="Iron", slug="iron")
    eco = TagFactory(name="eco", slug="eco")
    rated(ProductFactory(name="Chef Knife", category=knives, shop=iron, price="80.00"), "4.8", 5)
    rated(
        ProductFactory(name="Cutting Board", category=kitchen, shop=oak, price="35.00", tags=[eco]),
        "3.9",
        4,
    )
    ProductFactory(name="Oak Spoon", category=kitchen, shop=oak, price="9.50", stock_quantity=0)
    rated(ProductFactory(name="Rake", category=garden, shop=iron, price="25.00"), "2.5", 2)
    return {"kitchen": kitchen, "knives": knives, "garden": garden}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=kitchen", {"Chef Knife", "Cutting Board", "Oak Spoon"}),
        ("category=knives", {"Chef Knife"}),
        ("shop=oak", {"Cutting Board", "Oak Spoon"}),
        ("tag=eco", {"Cutting Board"}),
        ("min_price=25", {"Chef Knife", "Cutting Board", "Rake"}),
        ("max_price=25", {"Oak Spoon", "Rake"}),
        ("min_price=10&max_price=40", {"Cutting Board", "Rake"}),
        ("in_stock=true", {"Chef Knife", "Cutting Board", "Rake"}),
        ("in_stock=false", {"Oak Spoon"}),
        ("min_rating=4", {"Chef Knife"}),
        ("min_rating=3", {"Chef Knife", "Cutting Board"}),
        ("shop=iron&min_rating=3", {"Chef Knife"}),
    ],
)
def test_each_filter_narrows_the_listing(client, catalog, query, expected):
    assert set(names(client.get(f"/products/?{query}"))) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["Rake", "Oak Spoon", "Cutting Board", "Chef Knife"]),
        ("-created_at", ["Rake", "Oak Spoon", "Cutting Board", "Chef Knife"]),
        ("price", ["Oak Spoon", "Rake", "Cutting Board", "Chef Knife"]),
        ("-price", ["Chef Knife", "Cutting Board", "Rake", "Oak Spoon"]),
        ("-rating", ["Chef Knife", "Cutting Board", "Rake", "Oak Spoon"]),
        ("name", ["Chef Knife", "Cutting Board", "Oak Spoon", "Rake"]),
    ],
)
def test_each_sort_orders_the_listing(client, catalog, ordering, expected):
    url = "/products/" + (f"?ordering={ordering}" if ordering else "")
    response = client.get(url)
    assert names(response) == expected
    selected = re.search(
        r'<option value="([^"]+)" selected>', html(response).split('id="sort-select"')[1]
    )
    assert selected.group(1) == (ordering or "-created_at")


def test_active_filters_are_listed_with_links_that_remove_them(client, catalog):
    page = html(client.get("/products/?shop=oak&min_price=5&in_stock=true"))
    assert "Shop: Oak" in page and "From 5" in page
    assert 'href="/products/?min_price=5&amp;in_stock=true"' in page  # the shop chip
    assert 'id="filter-in-stock" type="checkbox" name="in_stock" value="true" checked' in page


def test_the_filter_form_keeps_the_search_and_the_tag(client, catalog):
    page = html(client.get("/products/?q=board&tag=eco"))
    form = page.split('id="product-filters"')[1].split("</form>")[0]
    assert '<input type="hidden" name="q" value="board">' in form
    assert '<input type="hidden" name="tag" value="eco">' in form
    assert "Tag: eco" in page


def test_empty_fields_of_the_filter_form_redirect_to_a_clean_address(client):
    response = client.get("/products/?q=&shop=&min_price=&max_price=10&min_rating=")
    assert response.status_code == 302
    assert response.url == "/products/?max_price=10"


def test_an_invalid_filter_value_is_shown_and_ignored_while_the_rest_applies(client, catalog):
    response = client.get("/products/?min_price=abc&max_price=-3&ordering=price&shop=oak")

    assert response.status_code == 200
    page = html(response)
    assert "Enter a number." in page
    assert "greater than or equal to 0" in page
    assert 'value="abc"' in page and 'aria-invalid="true"' in page
    assert "Some filters could not be used" in page
    assert names(response) == ["Oak Spoon", "Cutting Board"]  # shop and sort still apply


def test_an_unknown_sort_falls_back_to_newest(client, catalog):
    assert names(client.get("/products/?ordering=random"))[0] == "Rake"


# --- Pagination ----------------------------------------------------------------------------


@pytest.fixture
def thirty_products():
    shop = ShopFactory()
    return [ProductFactory(name=f"Item {n:02d}", shop=shop) for n in range(30)]


def test_the_list_shows_24_products_a_page_and_the_rest_on_page_two(client, thirty_products):
    first = client.get("/products/")
    second = client.get("/products/?page=2")

    assert len(names(first)) == 24 and names(first)[0] == "Item 29"
    assert names(second) == [f"Item {n:02d}" for n in range(5, -1, -1)]
    assert "1\u201324 of <strong>30</strong> products" in html(first)
    assert "25\u201330 of <strong>30</strong>" in html(second)
    assert 'rel="next" href="?page=2"' in html(first)
    assert 'rel="prev" href="?page=1"' in html(second)
    assert "(page 2)" in html(second)


def test_page_links_keep_the_filters_and_sort(client, thirty_products):
    page = html(client.get("/products/?in_stock=true&ordering=name&page=1"))
    assert 'href="?in_stock=true&amp;ordering=name&amp;page=2"' in page


def test_a_page_past_the_end_shows_the_last_page_and_a_bad_page_number_the_first(
    client, thirty_products
):
    assert names(client.get("/products/?page=999")) == names(client.get("/products/?page=2"))
    assert names(client.get("/products/?page=abc")) == names(client.get("/products/"))
    assert names(client.get("/products/?page=-1")) == names(client.get("/products/?page=2"))


def test_page_size_is_capped_at_100(client, thirty_products):
    assert len(names(client.get("/products/?page_size=5"))) == 5
    assert len(names(client.get("/products/?page_size=1000"))) == 30
    assert len(names(client.get("/products/?page_size=oops"))) == 24


# --- Search --------------------------------------------------------------------------------


def test_search_finds_products_by_word_and_offers_best_match(client):
    ProductFactory(name="Coffee Mug", description="Ceramic.")
    ProductFactory(name="Garden Hose")

    response = client.get("/products/?q=mug")

    page = html(response)
    assert names(response) == ["Coffee Mug"]
    assert "Results for “mug”" in page
    assert "<title>Search: mug · Shop</title>" in page
    assert '<option value="relevance" selected>Best match</option>' in page
    assert 'value="mug"' in page  # the header's search box keeps the words


def test_best_match_is_offered_only_when_searching(client):
    ProductFactory()
    assert "Best match" not in html(client.get("/products/"))
    assert "Best match" not in html(client.get("/products/?ordering=relevance"))


def test_a_search_without_results_says_so_and_suggests_what_to_do(client):
    ProductFactory(name="Coffee Mug")

    response = client.get("/products/?q=xylophone")

    page = html(response)
    assert names(response) == []
    assert "No products match “xylophone”" in page
    assert "Check the spelling" in page


def test_filters_without_results_offer_to_clear_them(client):
    ProductFactory(price="5.00")
    page = html(client.get("/products/?min_price=100"))
    assert "No products match these filters" in page
    assert 'href="/products/">Clear all filters' in page


def test_search_words_are_escaped(client):
    page = html(client.get("/products/?q=<b>bold</b>"))
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


@pytest.mark.postgresql
def test_search_tolerates_small_typos_and_ranks_by_relevance(client):
    ProductFactory(name="Wireless Headphones")
    ProductFactory(name="Headphone Stand", description="Oak stand for any headset.")
    ProductFactory(name="Coffee Mug")

    assert names(client.get("/products/?q=hedphones"))[0] == "Wireless Headphones"
    assert names(client.get("/products/?q=headphones")) == [
        "Wireless Headphones",
        "Headphone Stand",
    ]
    assert names(client.get("/products/?q=headphones&ordering=name")) == [
        "Headphone Stand",
        "Wireless Headphones",
    ]


# --- Category pages ------------------------------------------------------------------------


def test_a_category_page_lists_its_products_and_its_sub_categories(client, catalog):
    response = client.get("/categories/kitchen/")

    page = html(response)
    assert set(names(response)) == {"Chef Knife", "Cutting Board", "Oak Spoon"}
    assert "<title>Kitchen · Shop</title>" in page
    assert "<h1>Kitchen" in page
    assert 'href="/categories/knives/"' in page
    assert 'aria-current="page">Kitchen</a>' in page  # highlighted in the category nav


def test_a_sub_category_page_has_breadcrumbs_down_from_the_root(client, catalog):
    response = client.get("/categories/knives/")

    page = html(response)
    assert names(response) == ["Chef Knife"]
    breadcrumbs = page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert re.findall(r">([^<>]+)</(?:a|li)>", breadcrumbs) == [
        "Home",
        "Products",
        "Kitchen",
        "Knives",
    ]


def test_a_category_page_takes_the_same_filters_sort_and_pagination(client, catalog):
    assert names(client.get("/categories/kitchen/?in_stock=true&ordering=price")) == [
        "Cutting Board",
        "Chef Knife",
    ]
    # The address decides the category: a category in the query string does not change it.
    assert set(names(client.get("/categories/knives/?category=garden"))) == {"Chef Knife"}


def test_category_links_keep_the_other_filters(client, catalog):
    page = html(client.get("/products/?in_stock=true&page=2"))
    assert 'href="/categories/kitchen/?in_stock=true"' in page


def test_an_unknown_category_is_a_404_page(client, catalog):
    response = client.get("/categories/nothing-here/")
    assert response.status_code == 404
    assert "Page not found" in html(response)


def test_an_empty_category_says_so(client):
    CategoryFactory(name="Empty", slug="empty")
    page = html(client.get("/categories/empty/"))
    assert "No products here yet" in page


# --- Query budget --------------------------------------------------------------------------

LISTING_BUDGET = 6  # anonymous: count, products, tags, images, shops, the category tree


def add_image(product, *, alt: str = "", thumbnail: bool = False, color: str = "teal"):
    """A real (tiny) PNG stored as the product's next image, with its thumbnail if asked."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from catalog.models import ProductImage

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(buffer, format="PNG")
    image = ProductImage.objects.create(
        product=product,
        alt=alt,
        position=product.images.count(),
        image=SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png"),
    )
    if thumbnail:
        thumb = SimpleUploadedFile("photo-thumb.png", buffer.getvalue(), content_type="image/png")
        image.thumbnail.save("photo-thumb.png", thumb)
    return image


def make_things(count: int, *, shop, category) -> None:
    for _ in range(count):
        product = ProductFactory(
            name="Thing", shop=shop, category=category, tags=[TagFactory(), TagFactory()]
        )
        add_image(product)
        add_image(product)


def count_queries(client, url: str) -> int:
    client.get(url)  # the first request fills the category tree cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


LISTINGS = ["/products/", "/products/?q=thing", "/categories/things/"]


def with_page_size(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "page_size=50"


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize("count", [1, 30])
def test_listings_stay_within_one_query_budget_whatever_the_page_size(
    client, django_assert_max_num_queries, path, count
):
    make_things(count, shop=ShopFactory(), category=CategoryFactory(name="Things", slug="things"))
    url = with_page_size(path)
    client.get(url)
    with django_assert_max_num_queries(LISTING_BUDGET):
        response = client.get(url)
    assert len(names(response)) == count


@pytest.mark.parametrize("path", LISTINGS)
def test_a_signed_in_listing_costs_the_same_for_one_product_and_for_fifty(client, user, path):
    shop = ShopFactory()
    category = CategoryFactory(name="Things", slug="things")
    make_things(1, shop=shop, category=category)
    client.force_login(user)
    url = with_page_size(path)
    one = count_queries(client, url)
    make_things(49, shop=shop, category=category)
    fifty = count_queries(client, url)
    assert len(names(client.get(url))) == 50
    assert one == fifty <= LISTING_BUDGET + 3  # session, user, the user's shops


@pytest.mark.parametrize(
    "query",
    [
        "shop=99999999999999999999999",
        "tag=99999999999999999999999",
        "category=99999999999999999999999",
        "min_price=1e400",
        "max_price=NaN",
        "min_rating=99",
        "in_stock=maybe",
        "ordering=%00",
        "q=%00",
        "page_size=-5",
    ],
)
def test_odd_query_values_never_break_the_listing(client, query):
    ProductFactory(name="Survivor")
    response = client.get(f"/products/?{query}")
    assert response.status_code == 200
