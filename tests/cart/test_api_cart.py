"""cart/: add, change, remove, empty; stock checked on the line's total; notices."""

import pytest

from catalog.caching import products_changed
from catalog.models import Product
from tests.conftest import bearer_client
from tests.factories import ProductFactory, UserFactory, set_price

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_and_user():
    user = UserFactory()
    return bearer_client(user), user


def add(client, product, quantity=1):
    return client.post(
        "/api/v1/cart/add/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )


def test_the_cart_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/v1/cart/").status_code == 401


def test_an_empty_cart(client_and_user):
    client, _ = client_and_user
    body = client.get("/api/v1/cart").json()
    assert body["items"] == [] and body["subtotal"] == "0.00" and body["total_items"] == 0
    assert body["currency"] == "USD"


def test_adding_the_same_product_adds_to_its_line(client_and_user):
    client, _ = client_and_user
    lamp = ProductFactory(price="12.50", stock_quantity=5)
    assert add(client, lamp, 2).status_code == 200
    body = add(client, lamp, 1).json()
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert item["quantity"] == 3
    assert item["unit_price"] == "12.50" and item["line_total"] == "37.50"
    assert item["product"]["id"] == lamp.pk and item["product"]["shop"]["id"] == lamp.shop_id
    assert body["subtotal"] == "37.50" and body["total_items"] == 3


def test_more_than_in_stock_on_the_line_total_is_409(client_and_user):
    client, _ = client_and_user
    lamp = ProductFactory(stock_quantity=3)
    add(client, lamp, 2)
    response = add(client, lamp, 2)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["product_id"] == lamp.pk and body["available"] == 3
    assert client.get("/api/v1/cart/").json()["items"][0]["quantity"] == 2


def test_unknown_or_hidden_products_are_404_and_bad_quantities_400(client_and_user):
    client, _ = client_and_user
    hidden = ProductFactory(is_active=False)
    assert (
        client.post("/api/v1/cart/add/", {"product_id": 999999}, format="json").status_code == 404
    )
    assert add(client, hidden).status_code == 404
    for quantity in (0, -1, "x", 100000):
        response = add(client, ProductFactory(), quantity)
        assert response.status_code == 400
        assert "quantity" in response.json()["fields"]


def test_set_quantity_and_zero_removes(client_and_user):
    client, _ = client_and_user
    lamp = ProductFactory(stock_quantity=10)
    item_id = add(client, lamp, 1).json()["items"][0]["id"]
    body = client.put(f"/api/v1/cart/{item_id}/", {"quantity": 4}, format="json").json()
    assert body["items"][0]["quantity"] == 4
    too_many = client.put(f"/api/v1/cart/{item_id}", {"quantity": 11}, format="json")
    assert too_many.status_code == 409 and too_many.json()["available"] == 10
    body = client.put(f"/api/v1/cart/{item_id}/", {"quantity": 0}, format="json").json()
    assert body["items"] == []


def test_remove_a_line_and_empty_the_cart(client_and_user):
    client, _ = client_and_user
    first = add(client, ProductFactory()).json()["items"][0]["id"]
    add(client, ProductFactory())
    response = client.delete(f"/api/v1/cart/{first}/")
    assert response.status_code == 204 and response.content == b""
    assert len(client.get("/api/v1/cart/").json()["items"]) == 1
    assert client.delete("/api/v1/cart/").status_code == 204
    assert client.get("/api/v1/cart/").json()["items"] == []


def test_another_persons_cart_line_is_404(client_and_user):
    client, _ = client_and_user
    other = bearer_client(UserFactory())
    theirs = add(other, ProductFactory()).json()["items"][0]["id"]
    assert client.put(f"/api/v1/cart/{theirs}/", {"quantity": 2}, format="json").status_code == 404
    assert client.delete(f"/api/v1/cart/{theirs}/").status_code == 404
    assert other.get("/api/v1/cart/").json()["items"][0]["quantity"] == 1


def test_prices_are_current_with_a_notice_when_they_changed(client_and_user):
    client, _ = client_and_user
    lamp = ProductFactory(name="Lamp", price="10.00", stock_quantity=5)
    add(client, lamp, 2)
    set_price(lamp, "12.00")
    body = client.get("/api/v1/cart/").json()
    assert body["items"][0]["unit_price"] == "12.00" and body["subtotal"] == "24.00"
    assert "went up from 10.00 to 12.00" in body["items"][0]["notice"]
    assert body["notices"][0]["product_id"] == lamp.pk

    Product.objects.filter(pk=lamp.pk).update(is_active=False)
    products_changed(product_ids=[lamp.pk])  # as every writer bypassing save() does
    body = client.get("/api/v1/cart/").json()
    assert body["items"][0]["available"] is False
    assert "no longer for sale" in body["notices"][0]["detail"]
    assert body["subtotal"] == "0.00"


def test_the_cart_reads_in_a_fixed_number_of_queries(
    client_and_user, django_assert_max_num_queries
):
    client, _ = client_and_user
    add(client, ProductFactory())
    with django_assert_max_num_queries(8):
        client.get("/api/v1/cart/")
    for _ in range(10):
        add(client, ProductFactory())
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/cart/").json()["items"]) == 11
