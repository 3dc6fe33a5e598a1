"""products/: the product shape, filters and sorts, visibility, and who may change what."""

from decimal import Decimal

import pytest

from catalog.models import Product, ProductImage, Tag
from catalog.services import product_rating_refresh
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ReviewFactory,
    ShopFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT_FIELDS = {
    "id",
    "slug",
    "name",
    "description",
    "price",
    "compare_at_price",
    "price_range",
    "variant_count",
    "currency",
    "stock_quantity",
    "in_stock",
    "sku",
    "shop",
    "category",
    "tags",
    "images",
    "rating",
    "is_active",
    "created_at",
    "updated_at",
}
# The product's own address adds its options and variants to the list's card.
# The product's own address adds its tax class, weight, options and variants.
DETAIL_ONLY = ("tax_class", "weight_kg", "options", "variants")
DETAIL_FIELDS = PRODUCT_FIELDS | set(DETAIL_ONLY)


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


# --- The product's shape --------------------------------------------------------------


def test_the_product_detail_shape(api_client, shop_a, settings):
    category = CategoryFactory(name="Headphones", slug="headphones")
    product = ProductFactory(
        shop=shop_a,
        category=category,
        name="Wireless Headphones",
        slug="wireless-headphones",
        description="Noise cancelling.",
        price="149.50",
        stock_quantity=3,
        sku="WH-1",
        tags=[TagFactory(name="wireless"), TagFactory(name="audio")],
    )
    image = ProductImage.objects.create(
        product=product, image="products/x/front.png", width=1, height=1, alt="Front"
    )
    for rating in (4, 4, 5):
        ReviewFactory(product=product, rating=rating)
    product_rating_refresh(product=product)

    response = api_client.get(f"/api/v1/products/{product.id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    variant = product.variants.get()
    assert {key: body[key] for key in DETAIL_FIELDS - {"created_at", "updated_at"}} == {
        "id": product.id,
        "slug": "wireless-headphones",
        "name": "Wireless Headphones",
        "description": "Noise cancelling.",
        "price": "149.50",
        "compare_at_price": None,
        "price_range": {"min": "149.50", "max": "149.50"},
        "variant_count": 1,
        "options": [],
        "variants": [
            {
                "id": variant.pk,
                "sku": "WH-1",
                "options": {},
                "price": "149.50",
                "compare_at_price": None,
                "stock_quantity": 3,
                "in_stock": True,
                "image_id": None,
                "is_active": True,
                "weight_kg": None,
                "tax_class": "",
            }
        ],
        "tax_class": "standard",
        "weight_kg": None,
        "currency": settings.DEFAULT_CURRENCY,
        "stock_quantity": 3,
        "in_stock": True,
        "sku": "WH-1",
        "shop": {"id": shop_a.id, "slug": "alpha-audio", "name": "Alpha Audio"},
        "category": {"id": category.id, "slug": "headphones", "name": "Headphones"},
        "tags": ["audio", "wireless"],
        "images": [
            {
                "id": image.id,
                "url": "http://testserver/media/products/x/front.png",
                "thumbnail_url": None,
                "alt": "Front",
            }
        ],
        "rating": {"average": 4.3, "count": 3},  # 4.33 shown with one decimal
        "is_active": True,
    }
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_an_unrated_uncategorised_product(api_client):
    product = ProductFactory(stock_quantity=0, price=Decimal("5"))
    body = api_client.get(f"/api/v1/products/{product.id}/").json()
    assert body["category"] is None
    assert body["rating"] == {"average": None, "count": 0}
    assert (body["price"], body["in_stock"], body["tags"], body["images"]) == (
        "5.00",
        False,
        [],
        [],
    )


def test_the_list_uses_the_detail_shape_without_options_and_variants(api_client):
    product = ProductFactory()
    body = api_client.get("/api/v1/products").json()
    assert set(body) == {"count", "next", "previous", "results"}
    detail = api_client.get(f"/api/v1/products/{product.id}").json()
    assert body["results"] == [
        {key: value for key, value in detail.items() if key not in DETAIL_ONLY}
    ]


def test_unknown_products_are_404(api_client):
    response = api_client.get("/api/v1/products/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- Filters and sorts ----------------------------------------------------------------


@pytest.fixture
def catalog(shop_a, shop_b):
    """Five products across two shops and a small category tree."""
    electronics = CategoryFactory(name="Electronics", slug="electronics")
    audio = CategoryFactory(name="Audio", slug="audio", parent=electronics)
    headphones = CategoryFactory(name="Headphones", slug="headphones", parent=audio)
    cameras = CategoryFactory(name="Cameras", slug="cameras", parent=electronics)
    books = CategoryFactory(name="Books", slug="books")
    wireless = TagFactory(name="wireless", slug="wireless")
    audio_tag = TagFactory(name="audio", slug="audio")

    def make(name, shop, price, stock, category, rating, tags=()):
        product = ProductFactory(
            name=name, shop=shop, price=price, stock_quantity=stock, category=category, tags=tags
        )
        Product.objects.filter(pk=product.pk).update(
            rating_average=rating, rating_count=1 if rating else 0
        )
        return product

    make("Wireless Headphones", shop_a, "149.50", 3, headphones, "4.50", [wireless, audio_tag])
    make("Wired Earbuds", shop_a, "20.00", 0, audio, "3.00", [audio_tag])
    make("Cookbook", shop_b, "35.00", 10, books, None)
    make("Compact Camera", shop_b, "299.99", 5, cameras, "5.00", [wireless])
    return {"audio": audio, "shop_b": shop_b, "audio_tag": audio_tag}


CREATED_ORDER = ["Wireless Headphones", "Wired Earbuds", "Cookbook", "Compact Camera"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "electronics"}, {"Wireless Headphones", "Wired Earbuds", "Compact Camera"}),
        ({"category": "books"}, {"Cookbook"}),
        ({"category": "nothing-here"}, set()),
        ({"shop": "alpha-audio"}, {"Wireless Headphones", "Wired Earbuds"}),
        ({"tag": "wireless"}, {"Wireless Headphones", "Compact Camera"}),
        ({"min_price": "35"}, {"Cookbook", "Wireless Headphones", "Compact Camera"}),
        ({"max_price": "35.00"}, {"Wired Earbuds", "Cookbook"}),
        (
            {"min_price": "20", "max_price": "149.5"},
            {"Wired Earbuds", "Cookbook", "Wireless Headphones"},
        ),
        ({"in_stock": "true"}, {"Wireless Headphones", "Cookbook", "Compact Camera"}),
        ({"in_stock": "false"}, {"Wired Earbuds"}),
        ({"min_rating": "4.5"}, {"Wireless Headphones", "Compact Camera"}),
        ({"q": "camera"}, {"Compact Camera"}),
        ({"q": "headphones", "shop": "beta-books"}, set()),
        ({"tag": "wireless", "in_stock": "true", "max_price": "150"}, {"Wireless Headphones"}),
    ],
)
def test_filters(api_client, catalog, params, expected):
    assert set(names(api_client.get("/api/v1/products/", params))) == expected


def test_filters_by_id(api_client, catalog):
    assert set(names(api_client.get("/api/v1/products/", {"category": catalog["audio"].id}))) == {
        "Wireless Headphones",
        "Wired Earbuds",
    }
    assert set(names(api_client.get("/api/v1/products/", {"shop": catalog["shop_b"].id}))) == {
        "Cookbook",
        "Compact Camera",
    }
    assert set(names(api_client.get("/api/v1/products/", {"tag": catalog["audio_tag"].id}))) == {
        "Wireless Headphones",
        "Wired Earbuds",
    }


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, CREATED_ORDER[::-1]),
        ("-created_at", CREATED_ORDER[::-1]),
        ("price", ["Wired Earbuds", "Cookbook", "Wireless Headphones", "Compact Camera"]),
        ("-price", ["Compact Camera", "Wireless Headphones", "Cookbook", "Wired Earbuds"]),
        ("-rating", ["Compact Camera", "Wireless Headphones", "Wired Earbuds", "Cookbook"]),
        ("name", ["Compact Camera", "Cookbook", "Wired Earbuds", "Wireless Headphones"]),
    ],
)
def test_sorts(api_client, catalog, ordering, expected):
    params = {"ordering": ordering} if ordering else {}
    assert names(api_client.get("/api/v1/products/", params)) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": "abc"}, "min_price"),
        ({"max_price": "-1"}, "max_price"),
        ({"min_rating": "6"}, "min_rating"),
        ({"ordering": "bogus"}, "ordering"),
    ],
)
def test_an_invalid_filter_is_a_validation_error(api_client, catalog, params, field):
    response = api_client.get("/api/v1/products/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [field]
    assert body["detail"].startswith(f"{field}: ")


def test_a_product_address_ignores_list_filters(api_client, catalog):
    product = Product.objects.get(name="Cookbook")
    response = api_client.get(f"/api/v1/products/{product.id}/", {"ordering": "bogus"})
    assert response.status_code == 200


def test_pages(api_client, catalog):
    body = api_client.get("/api/v1/products/", {"page_size": 3, "ordering": "name"}).json()
    assert body["count"] == 4
    assert len(body["results"]) == 3
    second = api_client.get("/api/v1/products/", {"page_size": 3, "ordering": "name", "page": 2})
    assert names(second) == ["Wireless Headphones"]


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_product_list_costs_the_same_queries_whatever_the_page_size(
    client_of, shop_a, owner_a, page_size, django_assert_max_num_queries
):
    category = CategoryFactory()
    tags = TagFactory.create_batch(2)
    products = ProductFactory.create_batch(50, shop=shop_a, category=category, tags=tags)
    ProductImage.objects.bulk_create(
        ProductImage(product=product, image=f"products/{product.pk}/a.png", width=1, height=1)
        for product in products
    )
    client = client_of(owner_a)
    # The caller, their shops, the category tree, the count, the page, tags, images, the
    # running sales.
    with django_assert_max_num_queries(8):
        body = client.get(
            "/api/v1/products/",
            {"page_size": page_size, "category": category.slug, "ordering": "price"},
        ).json()
    assert len(body["results"]) == page_size
    assert len(body["results"][0]["tags"]) == 2
    assert len(body["results"][0]["images"]) == 1


# --- Who sees what --------------------------------------------------------------------


def test_an_inactive_product_is_seen_only_by_its_shop_and_staff(
    client_of, shop_a, owner_b, clerk_a, customer, staff_user
):
    hidden = ProductFactory(shop=shop_a, is_active=False, name="Secret")
    ProductFactory(shop=shop_a, name="Public")
    for person in (None, customer, owner_b):
        client = client_of(person)
        assert client.get(f"/api/v1/products/{hidden.id}/").status_code == 404
        assert names(client.get("/api/v1/products/")) == ["Public"]
    for person in (clerk_a, staff_user):
        client = client_of(person)
        body = client.get(f"/api/v1/products/{hidden.id}/").json()
        assert body["is_active"] is False
        assert set(names(client.get("/api/v1/products/"))) == {"Public", "Secret"}


def test_an_inactive_shops_products_leave_the_catalog(api_client):
    ProductFactory(shop=ShopFactory(is_active=False))
    assert api_client.get("/api/v1/products/").json()["count"] == 0


# --- Creating -------------------------------------------------------------------------


def test_a_shop_member_creates_a_product(client_of, shop_a, clerk_a, settings):
    category = CategoryFactory(name="Audio", slug="audio")
    TagFactory(name="Audio", slug="audio")
    response = client_of(clerk_a).post(
        "/api/v1/products",
        {
            "shop": shop_a.id,
            "name": "Wireless Headphones",
            "description": "Noise cancelling.",
            "price": 149.5,
            "stock_quantity": 4,
            "sku": "WH-1",
            "category": category.id,
            "tags": ["audio", "Wireless", "wireless"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert body["price"] == "149.50"
    assert body["currency"] == settings.DEFAULT_CURRENCY
    assert body["shop"]["id"] == shop_a.id
    assert body["category"]["slug"] == "audio"
    assert body["tags"] == ["Audio", "Wireless"]  # known names reused, new ones created
    assert Tag.objects.count() == 2
    assert (body["sku"], body["slug"], body["is_active"]) == (
        "WH-1",
        "wireless-headphones",
        True,
    )


def test_only_the_required_fields(client_of, shop_a, owner_a):
    response = client_of(owner_a).post(
        "/api/v1/products/",
        {"shop": shop_a.id, "name": "Plain", "price": "3"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["price"] == "3.00"
    assert body["sku"]  # made up when none is given
    assert (body["stock_quantity"], body["category"], body["tags"]) == (0, None, [])


def test_staff_create_products_in_any_shop_even_inactive_ones(staff_client):
    closed = ShopFactory(is_active=False)
    response = staff_client.post(
        "/api/v1/products/",
        {"shop": closed.id, "name": "X", "price": "1.00", "is_active": False},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["is_active"] is False


def test_creating_needs_a_sign_in(api_client, shop_a):
    response = api_client.post(
        "/api/v1/products/", {"shop": shop_a.id, "name": "X", "price": "1"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_creating_in_a_shop_one_sees_but_does_not_belong_to_is_403(
    client_of, shop_a, customer, owner_b
):
    for person in (customer, owner_b):
        response = client_of(person).post(
            "/api/v1/products/", {"shop": shop_a.id, "name": "X", "price": "1"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert not Product.objects.exists()


def test_creating_in_a_shop_one_cannot_see_is_404(client_of, customer):
    closed = ShopFactory(is_active=False)
    for shop_id in (closed.id, 999999):
        response = client_of(customer).post(
            "/api/v1/products/", {"shop": shop_id, "name": "X", "price": "1"}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": 999999}, "category"),
        ({"price": "-1.00"}, "price"),
        ({"price": -1}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": None}, "price"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"tags": "audio"}, "tags"),
        ({"name": ""}, "name"),
        ({"sku": "TAKEN"}, "sku"),
    ],
)
def test_product_validation_errors(client_of, shop_a, owner_a, changes, field):
    ProductFactory(shop=shop_a, sku="TAKEN")
    payload = {"shop": shop_a.id, "name": "Thing", "price": "10.00", **changes}
    response = client_of(owner_a).post("/api/v1/products/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [field]
    assert isinstance(body["fields"][field], list)
    assert Product.objects.count() == 1


def test_the_same_sku_in_another_shop_is_fine(client_of, shop_a, shop_b, owner_a):
    ProductFactory(shop=shop_b, sku="SAME")
    response = client_of(owner_a).post(
        "/api/v1/products/",
        {"shop": shop_a.id, "name": "Thing", "price": "1", "sku": "SAME"},
        format="json",
    )
    assert response.status_code == 201


def test_missing_fields_are_listed(client_of, owner_a):
    response = client_of(owner_a).post("/api/v1/products/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"shop", "name", "price"}


# --- Changing and deleting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("owner_b", 403),
        ("clerk_a", 200),
        ("owner_a", 200),
        ("staff_user", 200),
    ],
)
def test_who_may_change_a_product(request, client_of, shop_a, who, status):
    product = ProductFactory(shop=shop_a, name="Before")
    person = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_of(person).patch(
        f"/api/v1/products/{product.id}/", {"name": "After"}, format="json"
    )
    assert response.status_code == status
    if status != 200:
        assert response.json()["code"] in {"not_authenticated", "permission_denied"}
    product.refresh_from_db()
    assert product.name == ("After" if status == 200 else "Before")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("owner_b", 403),
        ("clerk_a", 204),
        ("staff_user", 204),
    ],
)
def test_who_may_delete_a_product(request, client_of, shop_a, who, status):
    product = ProductFactory(shop=shop_a)
    person = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_of(person).delete(f"/api/v1/products/{product.id}")
    assert response.status_code == status
    product.refresh_from_db()
    assert product.is_deleted is (status == 204)


def test_patch_and_put(client_of, shop_a, owner_a):
    product = ProductFactory(
        shop=shop_a, tags=[TagFactory(name="old")], description="Keep", stock_quantity=2
    )
    client = client_of(owner_a)
    url = f"/api/v1/products/{product.id}/"
    patched = client.patch(url, {"price": "7.5", "tags": ["new", "fresh"]}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["price"], patched.json()["tags"]) == ("7.50", ["fresh", "new"])
    assert patched.json()["description"] == "Keep"

    put = client.put(url.rstrip("/"), {"name": "Renamed", "price": 8}, format="json")
    assert put.status_code == 200
    body = put.json()
    assert (body["name"], body["price"], body["stock_quantity"]) == ("Renamed", "8.00", 2)
    assert client.put(url, {"name": "No price"}, format="json").json()["fields"] == {
        "price": ["This field is required."]
    }

    hidden = client.patch(url, {"is_active": False}, format="json")
    assert hidden.json()["is_active"] is False


def test_a_product_stays_in_its_shop(client_of, shop_a, shop_b, owner_a, staff_user):
    product = ProductFactory(shop=shop_a)
    url = f"/api/v1/products/{product.id}/"
    for person in (owner_a, staff_user):
        response = client_of(person).patch(url, {"shop": shop_b.id}, format="json")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["shop"]
    # Sending the current shop back (a whole object in a PUT) is fine.
    response = client_of(owner_a).put(
        url, {"shop": shop_a.id, "name": "Same shop", "price": "1"}, format="json"
    )
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.shop_id == shop_a.id


def test_a_duplicate_sku_on_update(client_of, shop_a, owner_a):
    ProductFactory(shop=shop_a, sku="TAKEN")
    product = ProductFactory(shop=shop_a, sku="MINE")
    response = client_of(owner_a).patch(
        f"/api/v1/products/{product.id}/", {"sku": "TAKEN"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["sku"]


def test_another_shops_inactive_product_is_404_to_change(client_of, shop_b, owner_a):
    product = ProductFactory(shop=shop_b, is_active=False)
    client = client_of(owner_a)
    url = f"/api/v1/products/{product.id}/"
    assert client.patch(url, {"name": "X"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404


def test_a_soft_deleted_product_is_gone_for_everyone(
    client_of, shop_a, owner_a, staff_user, customer
):
    product = ProductFactory(shop=shop_a, name="Doomed Lamp")
    ProductFactory(shop=shop_a, name="Other Lamp")
    owner = client_of(owner_a)
    response = owner.delete(f"/api/v1/products/{product.id}/")
    assert (response.status_code, response.content) == (204, b"")
    assert Product.objects.filter(pk=product.pk).exists()  # kept for orders
    for person in (None, customer, owner_a, staff_user):
        client = client_of(person)
        assert client.get(f"/api/v1/products/{product.id}/").status_code == 404
        assert names(client.get("/api/v1/products/")) == ["Other Lamp"]
        assert names(client.get("/api/v1/products/search/", {"q": "lamp"})) == ["Other Lamp"]
    assert owner.patch(f"/api/v1/products/{product.id}/", {"name": "Back"}).status_code == 404
    assert owner.delete(f"/api/v1/products/{product.id}/").status_code == 404


def test_a_deleted_products_sku_may_be_reused(client_of, shop_a, owner_a):
    client = client_of(owner_a)
    product = ProductFactory(shop=shop_a, sku="REUSE")
    client.delete(f"/api/v1/products/{product.id}/")
    response = client.post(
        "/api/v1/products/",
        {"shop": shop_a.id, "name": "New", "price": "1", "sku": "REUSE"},
        format="json",
    )
    assert response.status_code == 201


def test_members_of_a_deactivated_shop_still_manage_its_products(client_of, shop_a, owner_a):
    product = ProductFactory(shop=shop_a)
    shop_a.is_active = False
    shop_a.save()
    client = client_of(owner_a)
    assert client.get(f"/api/v1/products/{product.id}/").status_code == 200
    response = client.patch(f"/api/v1/products/{product.id}/", {"price": "2"}, format="json")
    assert response.json()["price"] == "2.00"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/products/abc/",
        "/api/v1/products/abc/reviews/",
        "/api/v1/shops/abc",
        "/api/v1/categories/abc/",
        "/api/v1/reviews/abc/",
    ],
)
def test_a_non_numeric_id_is_404(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unknown_in_stock_value_is_a_validation_error(api_client):
    response = api_client.get("/api/v1/products/", {"in_stock": "maybe"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "in_stock" in response.json()["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"shop": "99999999999999999999999"},
        {"tag": "99999999999999999999999"},
        {"category": "99999999999999999999999"},
        {"q": "lamp\x00"},
        {"ordering": "\x00"},
    ],
)
def test_odd_filter_values_never_answer_500(api_client, query):
    response = api_client.get("/api/v1/products/", query)
    assert response.status_code in (200, 400)
    assert response["Content-Type"] == "application/json"
    if response.status_code == 200:
        assert response.json()["count"] == 0
