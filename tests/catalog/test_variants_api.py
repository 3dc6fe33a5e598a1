"""Variants over the API: a product's options and variants, cards' price ranges, the
sellers' writes (products/ with options and variants, products/{id}/variants/,
variants/{id}/), adding a variant to the cart, and search by SKU and option value."""

from decimal import Decimal

import pytest

from cart.models import CartItem
from catalog.models import Product, ProductVariant
from catalog.services import product_create, variant_update
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

VARIANT_FIELDS = {
    "id",
    "sku",
    "options",
    "price",
    "compare_at_price",
    "stock_quantity",
    "in_stock",
    "image_id",
    "is_active",
    "weight_kg",
    "tax_class",
}
SIZE_COLOUR = [
    {"name": "Size", "values": ["S", "M"]},
    {"name": "Colour", "values": ["Red", "Blue"]},
]


def tee_data(**extra) -> dict:
    return {
        "name": "Tee",
        "options": SIZE_COLOUR,
        "variants": [
            {
                "sku": "TEE-S-RED",
                "price": "10.00",
                "stock_quantity": 0,
                "options": {"Size": "S", "Colour": "Red"},
            },
            {
                "sku": "TEE-S-BLUE",
                "price": "11.00",
                "compare_at_price": "14.00",
                "stock_quantity": 4,
                "options": {"Size": "S", "Colour": "Blue"},
            },
            {
                "sku": "TEE-M-RED",
                "price": "12.00",
                "stock_quantity": 0,
                "options": {"Size": "M", "Colour": "Red"},
            },
            {
                "sku": "TEE-M-BLUE",
                "price": "13.00",
                "stock_quantity": 0,
                "options": {"Size": "M", "Colour": "Blue"},
            },
        ],
        **extra,
    }


@pytest.fixture
def tee(shop_a):
    return product_create(user=None, shop=shop_a, data=tee_data())


def variant(product, sku) -> ProductVariant:
    return ProductVariant.objects.get(product=product, sku=sku, deleted_at=None)


def live_skus(product) -> list[str]:
    return list(
        ProductVariant.objects.filter(product=product, deleted_at=None)
        .order_by("position", "pk")
        .values_list("sku", flat=True)
    )


# --- Reading -------------------------------------------------------------------------------


def test_the_detail_shows_options_and_variants(api_client, tee):
    body = api_client.get(f"/api/v1/products/{tee.pk}/").json()

    assert body["options"] == [
        {"name": "Size", "values": ["S", "M"]},
        {"name": "Colour", "values": ["Red", "Blue"]},
    ]
    assert all(set(row) == VARIANT_FIELDS for row in body["variants"])
    s_blue = variant(tee, "TEE-S-BLUE")
    assert body["variants"][1] == {
        "id": s_blue.pk,
        "sku": "TEE-S-BLUE",
        "options": {"Size": "S", "Colour": "Blue"},
        "price": "11.00",
        "compare_at_price": "14.00",
        "stock_quantity": 4,
        "in_stock": True,
        "image_id": None,
        "is_active": True,
        "weight_kg": None,
        "tax_class": "",
    }
    assert [(row["sku"], row["in_stock"]) for row in body["variants"]] == [
        ("TEE-S-RED", False),
        ("TEE-S-BLUE", True),
        ("TEE-M-RED", False),
        ("TEE-M-BLUE", False),
    ]
    assert list(body["variants"][3]["options"]) == ["Size", "Colour"]  # the options' order
    # The product: the lowest active price, in stock when any variant is, no one SKU.
    assert (body["price"], body["price_range"], body["variant_count"]) == (
        "10.00",
        {"min": "10.00", "max": "13.00"},
        4,
    )
    assert (body["stock_quantity"], body["in_stock"], body["sku"]) == (4, True, None)


def test_the_detail_is_out_of_stock_when_no_variant_is(api_client, tee):
    variant_update(user=None, variant=variant(tee, "TEE-S-BLUE"), data={"stock_quantity": 0})
    body = api_client.get(f"/api/v1/products/{tee.pk}/").json()
    assert (body["in_stock"], body["stock_quantity"]) == (False, 0)
    assert not any(row["in_stock"] for row in body["variants"])


def test_list_cards_have_a_price_range_and_count_but_no_variants(api_client, tee):
    ProductFactory(name="Lamp", price="5.00")
    results = api_client.get("/api/v1/products/", {"ordering": "name"}).json()["results"]
    cards = {row["name"]: row for row in results}
    assert all("options" not in row and "variants" not in row for row in results)
    assert (cards["Tee"]["price_range"], cards["Tee"]["variant_count"]) == (
        {"min": "10.00", "max": "13.00"},
        4,
    )
    assert (cards["Tee"]["price"], cards["Tee"]["sku"]) == ("10.00", None)
    assert (cards["Lamp"]["price_range"], cards["Lamp"]["variant_count"]) == (
        {"min": "5.00", "max": "5.00"},
        1,
    )
    assert cards["Lamp"]["sku"]


def test_inactive_variants_are_hidden_from_visitors_and_shown_to_the_shop(
    client_of, tee, owner_a, customer, staff_user
):
    hidden = variant(tee, "TEE-M-BLUE")
    variant_update(user=None, variant=hidden, data={"is_active": False, "price": "99.00"})

    for person in (None, customer):
        client = client_of(person)
        body = client.get(f"/api/v1/products/{tee.pk}/").json()
        assert [row["sku"] for row in body["variants"]] == ["TEE-S-RED", "TEE-S-BLUE", "TEE-M-RED"]
        assert (body["variant_count"], body["price_range"]["max"]) == (3, "12.00")
        listed = client.get(f"/api/v1/products/{tee.pk}/variants/").json()
        assert [row["sku"] for row in listed] == ["TEE-S-RED", "TEE-S-BLUE", "TEE-M-RED"]
        assert client.get(f"/api/v1/variants/{hidden.pk}/").status_code == 404

    for person in (owner_a, staff_user):
        client = client_of(person)
        body = client.get(f"/api/v1/products/{tee.pk}/").json()
        assert [(row["sku"], row["is_active"]) for row in body["variants"]][-1] == (
            "TEE-M-BLUE",
            False,
        )
        assert len(client.get(f"/api/v1/products/{tee.pk}/variants/").json()) == 4
        response = client.get(f"/api/v1/variants/{hidden.pk}/")
        assert response.status_code == 200
        assert response.json()["options"] == {"Size": "M", "Colour": "Blue"}
        # The card counts what is on sale, for everyone.
        assert body["variant_count"] == 3


# --- Writing products with options and variants ------------------------------------------


def test_an_owner_creates_a_product_with_options_and_variants(client_of, shop_a, owner_a):
    response = client_of(owner_a).post(
        "/api/v1/products/", {"shop": shop_a.pk, **tee_data()}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [row["sku"] for row in body["variants"]] == [
        "TEE-S-RED",
        "TEE-S-BLUE",
        "TEE-M-RED",
        "TEE-M-BLUE",
    ]
    assert body["variants"][1]["options"] == {"Size": "S", "Colour": "Blue"}
    assert body["options"][1] == {"name": "Colour", "values": ["Red", "Blue"]}
    assert (body["price"], body["price_range"]["max"], body["stock_quantity"]) == (
        "10.00",
        "13.00",
        4,
    )
    product = Product.objects.get(pk=body["id"])
    assert (product.variant_count, product.price) == (4, Decimal("10.00"))


def test_a_customer_cannot_create_one(client_of, shop_a, customer):
    response = client_of(customer).post(
        "/api/v1/products/", {"shop": shop_a.pk, **tee_data()}, format="json"
    )
    assert response.status_code == 403
    assert not ProductVariant.objects.exists()


def test_patch_with_variants_creates_updates_by_id_and_removes_the_missing(client_of, tee, owner_a):
    s_red, s_blue = variant(tee, "TEE-S-RED"), variant(tee, "TEE-S-BLUE")
    m_blue = variant(tee, "TEE-M-BLUE")
    response = client_of(owner_a).patch(
        f"/api/v1/products/{tee.pk}/",
        {
            "variants": [
                {"id": s_red.pk, "price": "8.50", "stock_quantity": 2},
                {"id": s_blue.pk, "sku": "TEE-S-NAVY"},
                {"id": m_blue.pk},
                {
                    "sku": "TEE-M-RED-2",
                    "price": "30",
                    "stock_quantity": 1,
                    "options": {"Size": "M", "Colour": "Red"},
                },
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(row["sku"], row["price"], row["stock_quantity"]) for row in body["variants"]] == [
        ("TEE-S-RED", "8.50", 2),
        ("TEE-S-NAVY", "11.00", 4),
        ("TEE-M-BLUE", "13.00", 0),
        ("TEE-M-RED-2", "30.00", 1),
    ]
    assert body["variants"][0]["id"] == s_red.pk
    assert (body["price"], body["price_range"]["max"], body["stock_quantity"]) == (
        "8.50",
        "30.00",
        7,
    )
    gone = ProductVariant.objects.get(product=tee, sku="TEE-M-RED")
    assert gone.deleted_at is not None


def test_patch_with_options_and_variants_replaces_both(client_of, tee, owner_a):
    s_red = variant(tee, "TEE-S-RED")
    response = client_of(owner_a).patch(
        f"/api/v1/products/{tee.pk}/",
        {
            "options": [{"name": "Size", "values": ["S", "XL"]}],
            "variants": [
                {"id": s_red.pk, "options": {"Size": "S"}},
                {"price": "20", "options": {"Size": "XL"}, "sku": "TEE-XL"},
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["options"] == [{"name": "Size", "values": ["S", "XL"]}]
    assert [(row["sku"], row["options"]) for row in body["variants"]] == [
        ("TEE-S-RED", {"Size": "S"}),
        ("TEE-XL", {"Size": "XL"}),
    ]
    assert live_skus(tee) == ["TEE-S-RED", "TEE-XL"]


@pytest.mark.parametrize(
    ("variants", "key"),
    [
        # A value the option does not have, at the second variant.
        (
            [
                {"price": "1", "options": {"Size": "S", "Colour": "Red"}},
                {"price": "1", "options": {"Size": "XXL", "Colour": "Red"}},
            ],
            "variants.1.options",
        ),
        # Two variants with one combination.
        (
            [{"price": "1", "options": {"Size": "S", "Colour": "Red"}}] * 2,
            "variants.1.options",
        ),
        # An option missing, an option unknown.
        ([{"price": "1", "options": {"Size": "S"}}], "variants.0.options"),
        (
            [{"price": "1", "options": {"Size": "S", "Colour": "Red", "Fit": "Slim"}}],
            "variants.0.options",
        ),
        # What the input's shape refuses before the rules.
        ([{"price": "abc", "options": {"Size": "S", "Colour": "Red"}}], "variants.0.price"),
        (
            [{"price": "1", "stock_quantity": -1, "options": {"Size": "S", "Colour": "Red"}}],
            "variants.0.stock_quantity",
        ),
        ([], "variants"),
    ],
)
def test_bad_combinations_are_400_with_dotted_fields(client_of, shop_a, owner_a, variants, key):
    response = client_of(owner_a).post(
        "/api/v1/products/",
        {"shop": shop_a.pk, "name": "Tee", "options": SIZE_COLOUR, "variants": variants},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == [key], body
    assert not Product.objects.exists()


def test_bad_options_are_400_with_dotted_fields(client_of, tee, owner_a):
    client = client_of(owner_a)
    url = f"/api/v1/products/{tee.pk}/"
    duplicate = [{"name": "Size", "values": ["S"]}, {"name": "SIZE", "values": ["M"]}]
    response = client.patch(url, {"options": duplicate}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["options.1.name"]
    four = [{"name": f"O{number}", "values": ["x"]} for number in range(4)]
    assert list(client.patch(url, {"options": four}, format="json").json()["fields"]) == ["options"]
    assert len(live_skus(tee)) == 4


def test_a_multi_variant_product_refuses_a_price_of_its_own(client_of, tee, owner_a):
    response = client_of(owner_a).patch(
        f"/api/v1/products/{tee.pk}/", {"price": "5.00"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["price"]


# --- products/{id}/variants/ and variants/{id}/ --------------------------------------------


def test_the_owner_lists_and_adds_variants(client_of, tee, owner_a):
    client = client_of(owner_a)
    url = f"/api/v1/products/{tee.pk}/variants/"
    client.patch(
        f"/api/v1/products/{tee.pk}/",
        {"variants": [{"id": v.pk} for v in tee.variants.exclude(sku="TEE-M-BLUE")]},
        format="json",
    )

    listed = client.get(url)
    assert listed.status_code == 200
    assert [row["sku"] for row in listed.json()] == ["TEE-S-RED", "TEE-S-BLUE", "TEE-M-RED"]

    response = client.post(
        url,
        {"price": "9.99", "stock_quantity": 3, "options": {"Size": "M", "Colour": "Blue"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == VARIANT_FIELDS
    assert (body["options"], body["price"], body["stock_quantity"]) == (
        {"Size": "M", "Colour": "Blue"},
        "9.99",
        3,
    )
    assert body["sku"].startswith("ALPHA-AUDIO-")
    tee.refresh_from_db()
    assert (tee.price, tee.variant_count, tee.stock_quantity) == (Decimal("9.99"), 4, 7)

    taken = client.post(
        url, {"price": "1", "options": {"Size": "M", "Colour": "Blue"}}, format="json"
    )
    assert taken.status_code == 400
    assert list(taken.json()["fields"]) == ["variants.0.options"]
    assert list(client.post(url, {"options": {}}, format="json").json()["fields"]) == ["price"]


def test_the_owner_changes_and_removes_a_variant(client_of, tee, owner_a):
    client = client_of(owner_a)
    m_red = variant(tee, "TEE-M-RED")

    response = client.patch(
        f"/api/v1/variants/{m_red.pk}/",
        {"price": "7.00", "compare_at_price": "9.00", "stock_quantity": 6},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["sku"], body["price"], body["compare_at_price"], body["stock_quantity"]) == (
        "TEE-M-RED",
        "7.00",
        "9.00",
        6,
    )
    assert body["options"] == {"Size": "M", "Colour": "Red"}
    tee.refresh_from_db()
    assert (tee.price, tee.stock_quantity) == (Decimal("7.00"), 10)

    taken = client.patch(f"/api/v1/variants/{m_red.pk}/", {"sku": "TEE-S-RED"}, format="json")
    assert taken.status_code == 400
    assert list(taken.json()["fields"]) == ["variants.0.sku"]

    assert client.delete(f"/api/v1/variants/{m_red.pk}/").status_code == 204
    m_red.refresh_from_db()
    assert m_red.deleted_at is not None
    assert client.get(f"/api/v1/variants/{m_red.pk}/").status_code == 404
    tee.refresh_from_db()
    assert (tee.variant_count, tee.stock_quantity) == (3, 4)


def test_the_last_variant_cannot_be_deleted(client_of, shop_a, owner_a):
    product = ProductFactory(shop=shop_a)
    response = client_of(owner_a).delete(f"/api/v1/variants/{product.variants.get().pk}/")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["variants"]


@pytest.mark.parametrize(
    ("who", "read", "write", "created", "deleted"),
    [
        ("anonymous", 200, 401, 401, 401),
        ("customer", 200, 403, 403, 403),
        ("owner_b", 200, 403, 403, 403),
        ("clerk_a", 200, 200, 201, 204),
        ("owner_a", 200, 200, 201, 204),
        ("staff_user", 200, 200, 201, 204),
    ],
)
def test_who_may_read_and_write_variants(
    request, client_of, tee, who, read, write, created, deleted
):
    person = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_of(person)
    m_red = variant(tee, "TEE-M-RED")
    client_of(request.getfixturevalue("owner_a")).delete(
        f"/api/v1/variants/{variant(tee, 'TEE-M-BLUE').pk}/"
    )

    assert client.get(f"/api/v1/products/{tee.pk}/variants/").status_code == read
    assert client.get(f"/api/v1/variants/{m_red.pk}/").status_code == read
    response = client.patch(f"/api/v1/variants/{m_red.pk}/", {"price": "1.00"}, format="json")
    assert response.status_code == write
    if write != 200:
        assert response.json()["code"] in {"not_authenticated", "permission_denied"}
    new = {"price": "2", "options": {"Size": "M", "Colour": "Blue"}}
    assert (
        client.post(f"/api/v1/products/{tee.pk}/variants/", new, format="json").status_code
        == created
    )
    assert client.delete(f"/api/v1/variants/{m_red.pk}/").status_code == deleted

    m_red.refresh_from_db()
    assert m_red.price == (Decimal("1.00") if write == 200 else Decimal("12.00"))
    assert (m_red.deleted_at is not None) is (deleted == 204)
    assert ProductVariant.objects.filter(
        product=tee, deleted_at=None, options_text="Size: M / Colour: Blue"
    ).exists() is (created == 201)


# --- The cart ------------------------------------------------------------------------------


def test_a_variant_goes_into_the_cart_by_its_id(client_of, tee, customer):
    client = client_of(customer)
    s_blue = variant(tee, "TEE-S-BLUE")

    response = client.post(
        "/api/v1/cart/add/", {"variant_id": s_blue.pk, "quantity": 2}, format="json"
    )

    assert response.status_code == 200, response.json()
    [item] = response.json()["items"]
    assert {key: item["variant"][key] for key in ("id", "sku", "options")} == {
        "id": s_blue.pk,
        "sku": "TEE-S-BLUE",
        "options": {"Size": "S", "Colour": "Blue"},
    }
    assert (item["variant"]["price"], item["variant"]["compare_at_price"]) == ("11.00", "14.00")
    assert (item["quantity"], item["unit_price"], item["line_total"]) == (2, "11.00", "22.00")
    assert item["product"]["id"] == tee.pk
    # The cart as read again shows the same.
    again = client.get("/api/v1/cart/").json()["items"][0]["variant"]
    assert (again["id"], again["options"]) == (s_blue.pk, {"Size": "S", "Colour": "Blue"})


def test_product_id_works_for_a_one_variant_product_only(client_of, tee, customer):
    client = client_of(customer)
    lamp = ProductFactory(sku="LAMP-1", stock_quantity=3)

    response = client.post("/api/v1/cart/add/", {"product_id": lamp.pk}, format="json")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert (item["variant"]["id"], item["variant"]["sku"], item["variant"]["options"]) == (
        lamp.variants.get().pk,
        "LAMP-1",
        {},
    )

    response = client.post("/api/v1/cart/add/", {"product_id": tee.pk}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["product_id"]) == ("variant_required", tee.pk)
    assert CartItem.objects.filter(product=tee).count() == 0
    missing = client.post("/api/v1/cart/add/", {"quantity": 1}, format="json")
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["variant_id"]


def test_more_than_the_variant_has_is_409_naming_the_variant(client_of, tee, customer):
    client = client_of(customer)
    s_blue, s_red = variant(tee, "TEE-S-BLUE"), variant(tee, "TEE-S-RED")
    client.post("/api/v1/cart/add/", {"variant_id": s_blue.pk, "quantity": 3}, format="json")

    response = client.post(
        "/api/v1/cart/add/", {"variant_id": s_blue.pk, "quantity": 2}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["variant_id"], body["product_id"], body["available"]) == (
        "insufficient_stock",
        s_blue.pk,
        tee.pk,
        4,
    )
    assert "Size: S / Colour: Blue" in body["detail"]
    # The product has stock (4), but this variant has none.
    sold_out = client.post("/api/v1/cart/add/", {"variant_id": s_red.pk}, format="json")
    assert (sold_out.status_code, sold_out.json()["variant_id"]) == (409, s_red.pk)
    assert sold_out.json()["available"] == 0
    assert client.get("/api/v1/cart/").json()["items"][0]["quantity"] == 3


def test_inactive_or_removed_variants_cannot_be_added(client_of, tee, customer, owner_a):
    client = client_of(customer)
    s_blue, m_blue = variant(tee, "TEE-S-BLUE"), variant(tee, "TEE-M-BLUE")
    variant_update(user=None, variant=s_blue, data={"is_active": False})
    client_of(owner_a).delete(f"/api/v1/variants/{m_blue.pk}/")
    for pk in (s_blue.pk, m_blue.pk, 999999):
        response = client.post("/api/v1/cart/add/", {"variant_id": pk}, format="json")
        assert response.status_code == 404
    # The shop's own member sees the inactive variant, but it is not for sale.
    response = client_of(owner_a).post("/api/v1/cart/add/", {"variant_id": s_blue.pk})
    assert (response.status_code, response.json()["code"]) == (409, "product_unavailable")
    assert not CartItem.objects.exists()


# --- Search ----------------------------------------------------------------------------------


def test_search_finds_a_product_by_a_variant_sku_and_by_an_option_value(api_client, shop_a):
    product_create(
        user=None,
        shop=shop_a,
        data={
            "name": "Linen Shirt",
            "options": [{"name": "Colour", "values": ["Aubergine", "Ochre"]}],
            "variants": [
                {"sku": "QX7731", "price": "40", "options": {"Colour": "Aubergine"}},
                {"sku": "QX7732", "price": "40", "options": {"Colour": "Ochre"}},
            ],
        },
    )
    ProductFactory(shop=shop_a, name="Desk Lamp", sku="LAMP-1")

    def found(query):
        response = api_client.get("/api/v1/products/search/", {"q": query})
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert found("QX7731") == ["Linen Shirt"]
    assert found("qx7732") == ["Linen Shirt"]
    assert found("aubergine") == ["Linen Shirt"]
    assert found("ochre") == ["Linen Shirt"]
    assert found("lamp") == ["Desk Lamp"]
    assert found("turquoise") == []
    # The list's own `q` filter searches the same way.
    body = api_client.get("/api/v1/products/", {"q": "aubergine"}).json()
    assert [row["name"] for row in body["results"]] == ["Linen Shirt"]


def test_search_forgets_a_removed_variants_sku(api_client, client_of, shop_a, owner_a):
    product = product_create(
        user=None,
        shop=shop_a,
        data={
            "name": "Linen Shirt",
            "options": [{"name": "Colour", "values": ["Aubergine", "Ochre"]}],
            "variants": [
                {"sku": "QX7731", "price": "40", "options": {"Colour": "Aubergine"}},
                {"sku": "QX7732", "price": "40", "options": {"Colour": "Ochre"}},
            ],
        },
    )
    client_of(owner_a).delete(f"/api/v1/variants/{variant(product, 'QX7731').pk}/")
    response = api_client.get("/api/v1/products/search/", {"q": "QX7731"})
    assert response.json()["results"] == []
    response = api_client.get("/api/v1/products/search/", {"q": "QX7732"})
    assert [row["id"] for row in response.json()["results"]] == [product.pk]


def test_a_visitors_cached_detail_follows_sales_and_variant_changes(api_client, client_of, tee):
    from orders.services import order_place
    from tests.factories import UserFactory, address_data, verify_email

    url = f"/api/v1/products/{tee.pk}/"
    s_blue = variant(tee, "TEE-S-BLUE")
    assert api_client.get(url).json()["variants"][1]["stock_quantity"] == 4  # now cached

    shopper = verify_email(UserFactory())
    client_of(shopper).post("/api/v1/cart/add/", {"variant_id": s_blue.pk, "quantity": 3})
    order_place(user=shopper, cart=shopper.cart, shipping_address=address_data())
    body = api_client.get(url).json()
    assert (body["variants"][1]["stock_quantity"], body["stock_quantity"]) == (1, 1)

    variant_update(user=None, variant=s_blue, data={"price": "9.00"})
    body = api_client.get(url).json()
    assert (body["price"], body["variants"][1]["price"]) == ("9.00", "9.00")
    listed = api_client.get("/api/v1/products/").json()["results"]
    assert listed[0]["price_range"] == {"min": "9.00", "max": "13.00"}


def test_a_variants_weight_and_tax_class_override_the_products():
    """Shipping weighs a variant by its own weight, else its product's; tax takes its own
    class, else its product's. Bad values are a 400 naming the variant's field."""
    from catalog.models import ProductVariant
    from tests.conftest import bearer_client
    from tests.factories import MembershipFactory

    member = MembershipFactory()
    client = bearer_client(member.user)
    created = client.post(
        "/api/v1/products/",
        {
            "shop": member.shop_id,
            "name": "Book",
            "price": "12.00",
            "tax_class": "reduced",
            "weight_kg": "0.4",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["tax_class"], body["weight_kg"]) == ("reduced", "0.400")
    variant = ProductVariant.objects.get(product_id=body["id"])
    assert (variant.effective_tax_class, variant.shipping_weight_kg) == (
        "reduced",
        Decimal("0.400"),
    )

    changed = client.patch(
        f"/api/v1/variants/{variant.pk}/",
        {"tax_class": "zero", "weight_kg": "1.25"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    variant.refresh_from_db()
    assert (variant.effective_tax_class, variant.shipping_weight_kg) == ("zero", Decimal("1.250"))
    bad = client.patch(f"/api/v1/variants/{variant.pk}/", {"weight_kg": "-1"}, format="json")
    assert bad.status_code == 400 and "weight_kg" in bad.json()["fields"]
    unknown = client.patch(
        f"/api/v1/variants/{variant.pk}/", {"tax_class": "luxury"}, format="json"
    )
    assert unknown.status_code == 400 and "tax_class" in unknown.json()["fields"]
