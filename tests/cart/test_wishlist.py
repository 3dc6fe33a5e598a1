"""Wishlists: saving products and variants (API and pages), today's prices, moving an
item to the cart, and a guest's saved items joining the person's at sign-in."""

import pytest

from cart.models import CartItem, WishlistItem
from catalog.services import product_create
from tests.factories import DEFAULT_PASSWORD, ProductFactory, ShopFactory, UserFactory
from tests.orders.test_api_orders import shopper
from tests.promotions.helpers import running_sale

pytestmark = pytest.mark.django_db

WISHLIST = "/api/v1/wishlist/"


def test_saving_listing_removing_and_moving_over_the_api():
    user, client = shopper()
    lamp = ProductFactory(name="Lamp", price="40.00", stock_quantity=3)
    from tests.catalog.test_variants_api import tee_data

    tee = product_create(user=None, shop=ShopFactory(), data=tee_data())
    blue = tee.variants.get(sku="TEE-S-BLUE")

    first = client.post(WISHLIST, {"product_id": lamp.pk}, format="json")
    assert first.status_code == 201
    client.post(WISHLIST, {"product_id": lamp.pk}, format="json")  # again: no second entry
    client.post(WISHLIST, {"product_id": tee.pk, "variant_id": blue.pk}, format="json")
    running_sale(reward="fixed", value="10.00", products=[lamp])

    items = client.get(WISHLIST).json()["items"]
    assert [(i["product"]["name"], i["price"]) for i in items] == [
        ("Tee", "11.00"),
        ("Lamp", "30.00"),  # today's price: the sale's
    ]
    assert items[0]["variant"]["id"] == blue.pk and items[1]["variant"] is None
    assert WishlistItem.objects.filter(user=user).count() == 2

    cart = client.post(
        f"{WISHLIST}move-to-cart/", {"product_id": tee.pk, "variant_id": blue.pk}, format="json"
    ).json()
    assert [item["variant"]["id"] for item in cart["items"]] == [blue.pk]
    removed = client.delete(WISHLIST, {"product_id": lamp.pk}, format="json").json()
    assert removed["items"] == []


def test_bad_targets_are_refused():
    _user, client = shopper()
    lamp, other = ProductFactory(), ProductFactory()
    assert client.post(WISHLIST, {"product_id": 10**9}, format="json").status_code == 404
    wrong = client.post(
        WISHLIST,
        {"product_id": lamp.pk, "variant_id": other.variants.get().pk},
        format="json",
    )
    assert wrong.status_code == 404
    assert client.post(WISHLIST, {"product_id": "x"}, format="json").status_code == 400


def test_a_guest_saves_from_the_product_page_and_keeps_it_at_sign_in(client):
    lamp = ProductFactory(name="Brass Lamp", slug="brass-lamp")
    response = client.post(
        "/wishlist/add/", {"product_id": lamp.pk, "next": f"/products/{lamp.slug}/"}
    )
    assert response.status_code == 302
    assert "Brass Lamp" in client.get("/wishlist/").content.decode()
    page = client.get(f"/products/{lamp.slug}/").content.decode()
    assert 'formaction="/wishlist/add/"' in page

    user = UserFactory(email="ines@example.com")
    client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})

    assert list(WishlistItem.objects.filter(user=user).values_list("product_id", flat=True)) == [
        lamp.pk
    ]
    assert "Brass Lamp" in client.get("/wishlist/").content.decode()


def test_moving_to_the_cart_and_removing_from_the_page(client, user):
    client.force_login(user)
    lamp = ProductFactory(name="Brass Lamp")
    client.post("/wishlist/add/", {"product_id": lamp.pk})

    client.post("/wishlist/move-to-cart/", {"product_id": lamp.pk})

    assert CartItem.objects.filter(cart__user=user, product=lamp).exists()
    assert not WishlistItem.objects.filter(user=user).exists()
    client.post("/wishlist/add/", {"product_id": lamp.pk})
    client.post("/wishlist/remove/", {"product_id": lamp.pk})
    assert "Nothing saved yet" in client.get("/wishlist/").content.decode()
