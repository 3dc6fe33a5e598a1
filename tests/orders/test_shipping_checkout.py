"""Checkout with shipping and tax (issue 17): a method per shop, the order's shipments and
totals, not_shippable writing nothing, the cart's estimate and shipping options."""

from decimal import Decimal as D

import pytest

from cart.models import CartItem
from catalog.models import ProductVariant
from orders.models import Order, Shipment
from shipping.services import shipping_method_create, shipping_zone_create
from taxes.services import tax_rates_load_eu
from tests.conftest import bearer_client
from tests.factories import ProductFactory, ShopFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


def shop_shipping_to(countries, *methods, name=None):
    shop = ShopFactory(ships=False, **({"name": name} if name else {}))
    zone = shipping_zone_create(shop=shop, data={"name": "Zone", "countries": countries}, by=None)
    made = [shipping_method_create(zone=zone, data=method, by=None) for method in methods]
    return shop, made


@pytest.fixture
def buyer():
    user = verify_email(UserFactory())
    return user, bearer_client(user)


def add(client, product, quantity=1):
    response = client.post(
        "/api/v1/cart/add/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    assert response.status_code == 200, response.json()


@pytest.fixture
def two_shops():
    """Two shops shipping to Germany: one by flat rate or express, one free above 30."""
    tax_rates_load_eu()
    books, (standard, express) = shop_shipping_to(
        ["DE"],
        {"name": "Standard", "price": "4.90", "min_days": 2, "max_days": 4},
        {"name": "Express", "price": "12.00", "min_days": 1, "max_days": 1},
        name="Books",
    )
    tea, (free,) = shop_shipping_to(
        ["DE"],
        {"name": "Post", "kind": "free_over", "price": "3.50", "free_above": "30"},
        name="Tea",
    )
    novel = ProductFactory(shop=books, price="10.00", stock_quantity=5, tax_class="reduced")
    teapot = ProductFactory(shop=tea, price="25.00", stock_quantity=5)
    return {
        "books": books,
        "tea": tea,
        "standard": standard,
        "express": express,
        "free": free,
        "novel": novel,
        "teapot": teapot,
    }


def test_checkout_charges_the_methods_chosen_and_their_tax(buyer, two_shops):
    _user, client = buyer
    add(client, two_shops["novel"], 2)
    add(client, two_shops["teapot"])
    response = client.post(
        "/api/v1/cart/checkout/",
        {
            "shipping_address": address_data(country="DE", city="Berlin"),
            "shipping_methods": {str(two_shops["books"].pk): two_shops["express"].pk},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    order = response.json()
    # Books: 2 x 10.00 = 20.00 reduced 7% = 1.40; express 12.00 at 19% = 2.28.
    # Tea: 25.00 at 19% = 4.75; left out, so its cheapest: 3.50 (under 30), 19% = 0.665 -> 0.67.
    # Subtotal 45.00, shipping 15.50, tax 1.40 + 2.28 + 4.75 + 0.67 = 9.10, total 69.60.
    assert (order["subtotal"], order["shipping_total"], order["tax_total"], order["total"]) == (
        "45.00",
        "15.50",
        "9.10",
        "69.60",
    )
    assert order["discount_total"] == "0.00" and order["prices_include_tax"] is False
    shipments = {s["shop"]["name"]: s for s in order["shipments"]}
    assert shipments["Books"]["method"]["name"] == "Express"
    assert (shipments["Books"]["price"], shipments["Books"]["tax"]) == ("12.00", "2.28")
    assert shipments["Books"]["estimate"] == "1 working day"
    assert shipments["Tea"]["method"] == {
        "id": two_shops["free"].pk,
        "name": "Post",
        "kind": "free_over",
    }
    assert (shipments["Tea"]["price"], shipments["Tea"]["tax"]) == ("3.50", "0.67")
    assert all(s["status"] == "pending" and s["fulfilments"] == [] for s in shipments.values())
    lines = {line["product_name"]: line for line in order["lines"]}
    assert (
        lines[two_shops["novel"].name]["tax_rate"],
        lines[two_shops["novel"].name]["tax_amount"],
    ) == ("7.00", "1.40")

    stored = Order.objects.get(pk=order["id"])
    assert (stored.total, stored.tax_total) == (D("69.60"), D("9.10"))
    assert Shipment.objects.filter(order=stored).count() == 2
    # What the order answers later is what checkout answered.
    assert client.get(f"/api/v1/orders/{order['id']}/").json()["shipments"] == order["shipments"]


def test_a_shop_that_does_not_ship_there_is_a_409_and_nothing_is_written(buyer, two_shops):
    user, client = buyer
    add(client, two_shops["novel"])
    add(client, two_shops["teapot"])
    stock = dict(ProductVariant.objects.values_list("pk", "stock_quantity"))

    response = client.post(
        "/api/v1/cart/checkout/",
        {"shipping_address": address_data(country="GB")},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not_shippable"
    assert body["shop_id"] in (two_shops["books"].pk, two_shops["tea"].pk)
    assert body["shop_name"] in body["detail"] and len(body["lines"]) == 1
    assert not Order.objects.exists() and not Shipment.objects.exists()
    assert CartItem.objects.filter(cart__user=user).count() == 2
    assert dict(ProductVariant.objects.values_list("pk", "stock_quantity")) == stock


@pytest.mark.parametrize(
    ("methods", "field"),
    [
        ({"SHOP": "OTHER_METHOD"}, "shipping_methods.SHOP"),
        ({"999999": "METHOD"}, "shipping_methods.999999"),
        ({"books": "METHOD"}, "shipping_methods"),
        ({"SHOP": "nope"}, "shipping_methods.SHOP"),
    ],
)
def test_a_method_the_shop_does_not_offer_is_a_400(buyer, two_shops, methods, field):
    _user, client = buyer
    add(client, two_shops["novel"])
    shop, other = str(two_shops["books"].pk), str(two_shops["free"].pk)
    method = str(two_shops["standard"].pk)

    def fill(text):
        return text.replace("SHOP", shop).replace("OTHER_METHOD", other).replace("METHOD", method)

    chosen = {fill(key): fill(value) for key, value in methods.items()}
    response = client.post(
        "/api/v1/cart/checkout/",
        {"shipping_address": address_data(country="DE"), "shipping_methods": chosen},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert any(key.startswith(fill(field)) for key in response.json()["fields"])
    assert not Order.objects.exists()


def test_the_cart_estimates_for_the_default_address_and_lists_options_by_country(buyer, two_shops):
    _user, client = buyer
    add(client, two_shops["novel"], 2)
    add(client, two_shops["teapot"])
    assert client.get("/api/v1/cart/").json()["estimate"] is None  # no address yet
    client.post(
        "/api/v1/addresses/", {**address_data(country="DE"), "is_default": True}, format="json"
    )

    estimate = client.get("/api/v1/cart/").json()["estimate"]
    # The cheapest of each: Standard 4.90 (0.93 tax), Post 3.50 (0.67); lines 1.40 + 4.75.
    assert estimate["country"] == "DE" and estimate["shippable"] is True
    assert (estimate["shipping_total"], estimate["tax_total"], estimate["total"]) == (
        "8.40",
        "7.75",
        "61.15",
    )
    assert [row["kind"] for row in estimate["rows"]] == [
        "subtotal",
        "shipping",
        "shipping",
        "tax",
        "total",
    ]

    options = client.get("/api/v1/cart/shipping-options/?country=DE").json()
    books = next(s for s in options["shipments"] if s["shop"]["name"] == "Books")
    assert [(o["name"], o["price"]) for o in books["options"]] == [
        ("Standard", "4.90"),
        ("Express", "12.00"),
    ]
    assert books["method_id"] == two_shops["standard"].pk
    nowhere = client.get("/api/v1/cart/shipping-options/?country=GB").json()
    assert nowhere["shippable"] is False
    assert all(s["options"] == [] and s["method_id"] is None for s in nowhere["shipments"])
    bad = client.get("/api/v1/cart/shipping-options/?country=ZZ")
    assert bad.status_code == 400 and "country" in bad.json()["fields"]


# --- No oversell with shipping chosen (PostgreSQL, real threads) -----------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_buyers_racing_with_a_method_chosen_per_shop_never_oversell():
    from orders.models import OrderLine
    from orders.services import order_place
    from tests.orders.test_variants_checkout import _race, buyer, cart_with

    tax_rates_load_eu()
    lamps, (_standard, express) = shop_shipping_to(
        ["DE"], {"name": "Standard", "price": "4.90"}, {"name": "Express", "price": "12.00"}
    )
    tea_shop, (post,) = shop_shipping_to(["DE"], {"name": "Post", "price": "3.50"})
    lamp = ProductFactory(shop=lamps, price="33.33", stock_quantity=30).variants.get()
    tea = ProductFactory(shop=tea_shop, price="7.77", stock_quantity=1000).variants.get()
    people = [buyer() for _ in range(100)]
    carts = [cart_with(person, (lamp, 1), (tea, 1)) for person in people]
    chosen = {lamps.pk: express.pk, tea_shop.pk: post.pk}

    results = _race(
        lambda index: (
            order_place(
                user=people[index],
                cart=carts[index],
                shipping_address=address_data(country="DE"),
                shipping_methods=chosen,
            ).pk
        ),
        100,
    )

    placed = [value for outcome, value in results if outcome == "ok"]
    assert len(placed) == 30
    refused = [value for outcome, value in results if outcome == "error"]
    assert {type(error).__name__ for error in refused} == {"InsufficientStock"}
    assert ProductVariant.objects.get(pk=lamp.pk).stock_quantity == 0
    assert ProductVariant.objects.get(pk=tea.pk).stock_quantity == 1000 - 30
    assert sum(OrderLine.objects.filter(variant=lamp).values_list("quantity", flat=True)) == 30
    # Every order has its two shipments, the express one charged: 33.33 + 7.77 + 12.00 +
    # 3.50, tax 6.33 (lamp, 19%) + 1.48 (tea, 19%) + 2.28 + 0.67 = 10.76: 67.36.
    assert Shipment.objects.filter(order_id__in=placed).count() == 60
    assert set(Order.objects.values_list("total", flat=True)) == {D("67.36")}


# --- The checkout page -------------------------------------------------------------------


def test_the_checkout_page_offers_methods_per_shop_and_places_the_one_chosen(client, two_shops):
    from django.urls import reverse

    from accounts.services import address_create

    user = verify_email(UserFactory())
    address = address_create(user=user, data={**address_data(country="DE"), "is_default": True})
    client.force_login(user)
    for product in (two_shops["novel"], two_shops["teapot"]):
        client.post(
            reverse("cart:add"),
            {"product_id": product.pk, "variant_id": product.variants.get().pk, "quantity": 1},
        )
    page = client.get(reverse("orders:checkout")).content.decode()
    books = two_shops["books"].pk
    assert f'name="shipping_method_{books}" value="{two_shops["express"].pk}"' in page
    assert "1 working day" in page

    # Another country, without the script: the refresh button re-renders, places nothing,
    # and says which shop does not ship there (the typed address is kept, no errors yet).
    refreshed = client.post(
        reverse("orders:checkout"),
        {
            "shipping_choice": "new",
            "billing_choice": "same",
            "shipping-country": "GB",
            "refresh": "1",
        },
    )
    assert refreshed.status_code == 200 and not Order.objects.exists()
    text = refreshed.content.decode()
    assert "Books does not ship to United Kingdom" in text and "This field is required" not in text

    # Placing with Express chosen for the books.
    placed = client.post(
        reverse("orders:checkout"),
        {
            "shipping_choice": str(address.pk),
            "billing_choice": "same",
            f"shipping_method_{books}": str(two_shops["express"].pk),
        },
    )
    assert placed.status_code == 302
    order = Order.objects.get(user=user)
    assert order.shipments.get(shop_id=books).method_name == "Express"


def test_the_checkout_page_refuses_an_address_a_shop_does_not_ship_to(client, two_shops):
    from django.urls import reverse

    user = verify_email(UserFactory())
    client.force_login(user)
    client.post(
        reverse("cart:add"),
        {"product_id": two_shops["novel"].pk, "variant_id": two_shops["novel"].variants.get().pk},
    )
    response = client.post(
        reverse("orders:checkout"),
        {
            "shipping_choice": "new",
            "billing_choice": "same",
            **{f"shipping-{key}": value for key, value in address_data(country="GB").items()},
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Books does not ship to this address" in response.content.decode()
    assert not Order.objects.exists() and CartItem.objects.filter(cart__user=user).count() == 1


def _checkout_queries(shops: int) -> int:
    """The queries of one API checkout of a line from each of `shops` shops, each with
    its own zone and a weight-based method chosen (tiers read too)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = verify_email(UserFactory())
    client = bearer_client(user)
    chosen = {}
    for _index in range(shops):
        shop, (method,) = shop_shipping_to(
            ["DE"],
            {"name": "Parcel", "kind": "weight", "tiers": [{"up_to_kg": "5", "price": "6.00"}]},
        )
        chosen[str(shop.pk)] = method.pk
        add(client, ProductFactory(shop=shop, weight_kg="0.5", stock_quantity=9))
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/cart/checkout/",
            {"shipping_address": address_data(country="DE"), "shipping_methods": chosen},
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert len(response.json()["shipments"]) == shops
    return len(queries)


def test_a_checkout_costs_the_same_queries_whatever_the_number_of_shops():
    """1 shop or 4, 1 line or 4: one guarded UPDATE takes the stock of every line, the
    shipments go in with one INSERT, the options are read in three queries."""
    tax_rates_load_eu()
    assert _checkout_queries(1) == _checkout_queries(4)


def test_a_shop_id_in_other_digits_is_a_400_not_a_500(buyer, two_shops, client):
    from django.urls import reverse

    user, api = buyer
    add(api, two_shops["novel"])
    response = api.post(
        "/api/v1/cart/checkout/",
        {"shipping_address": address_data(country="DE"), "shipping_methods": {"²": 1}},
        format="json",
    )
    assert response.status_code == 400 and "shipping_methods" in response.json()["fields"]
    # The page leaves such a field out (the cheapest method is taken).
    client.force_login(user)
    page = client.post(
        reverse("orders:checkout"),
        {
            "shipping_choice": "new",
            "billing_choice": "same",
            "refresh": "1",
            "shipping_method_²": "1",
        },
    )
    assert page.status_code == 200 and not Order.objects.exists()
