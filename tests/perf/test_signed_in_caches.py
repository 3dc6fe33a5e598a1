"""Signed-in reads from the caches (issue 23): a customer's cart, order list and order
detail, and the product list of someone who manages no shop, answer without a query when
nothing changed, and every change under them shows on the next request."""

from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import address_create, address_delete
from cart.services import cart_add_item, cart_get_for_user
from catalog import services as catalog_services
from orders.models import Order
from orders.services import order_cancel, order_place
from promotions.services import promotion_create
from shipping.services import shipping_method_create
from shops.models import ShopMembership
from shops.selectors import user_shop_ids
from taxes.services import tax_rate_save
from tests.conftest import bearer_client
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db


def read(client, path):
    """The answer to a second request (the first fills the cache) and its query count."""
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


@pytest.fixture
def buyer():
    return verify_email(UserFactory())


@pytest.fixture
def client(buyer):
    return bearer_client(buyer)


def test_the_cart_is_cached_and_follows_every_change_under_it(buyer, client):
    shop = ShopFactory()
    owner = MembershipFactory(shop=shop, role="owner").user
    product = ProductFactory(shop=shop, price="20.00", stock_quantity=10)
    address_create(user=buyer, data=address_data(country="DE", is_default=True))
    client.post("/api/v1/cart/add/", {"product_id": product.pk, "quantity": 2}, format="json")
    cart, count = read(client, "/api/v1/cart/")
    assert count == 0
    assert cart["subtotal"] == "40.00" and cart["estimate"]["country"] == "DE"
    shipping_before = cart["estimate"]["shipping_total"]

    # The cart's own lines.
    client.post("/api/v1/cart/add/", {"product_id": product.pk, "quantity": 1}, format="json")
    assert read(client, "/api/v1/cart/")[0]["subtotal"] == "60.00"
    # The catalog: a new price.
    catalog_services.product_update(user=owner, product=product, data={"price": "25.00"})
    cart, _count = read(client, "/api/v1/cart/")
    assert cart["items"][0]["unit_price"] == "25.00" and cart["items"][0]["notice"]
    # A discount code.
    promotion_create(shop=None, by=None, data={"name": "Ten", "kind": "code",
                     "reward": "percentage", "value": 10, "code": "TEN"})  # fmt: skip
    client.post("/api/v1/cart/voucher/", {"code": "TEN"}, format="json")
    assert read(client, "/api/v1/cart/")[0]["discount_total"] == "7.50"
    # Taxes: a German rate of 50%.
    tax_before = read(client, "/api/v1/cart/")[0]["estimate"]["tax_total"]
    tax_rate_save(rate=None, data={"country": "DE", "rate": Decimal("50"), "name": "VAT"})
    assert read(client, "/api/v1/cart/")[0]["estimate"]["tax_total"] != tax_before
    # Shipping: the shop's one zone gets a dearer only method (the cheapest is shown).
    zone = shop.shipping_zones.get()
    zone.methods.all().delete()
    shipping_method_create(zone=zone, data={"name": "Courier", "price": "30.00"}, by=None)
    cart, _count = read(client, "/api/v1/cart/")
    assert cart["estimate"]["shipping_total"] == "30.00" != shipping_before
    # The address book: no default address, no estimate.
    for address in buyer.addresses.all():
        address_delete(address=address)
    cart, count = read(client, "/api/v1/cart/")
    assert cart["estimate"] is None and count == 0


def test_another_persons_cart_and_language_are_their_own(buyer, client):
    product = ProductFactory(price="5.00", stock_quantity=3)
    client.post("/api/v1/cart/add/", {"product_id": product.pk, "quantity": 3}, format="json")
    other = bearer_client(verify_email(UserFactory()))
    assert read(other, "/api/v1/cart/")[0]["items"] == []
    mine, _count = read(client, "/api/v1/cart/")
    assert len(mine["items"]) == 1
    # Stock sold to someone else: the notice shows at once (a sale bumps the catalog).
    rival = verify_email(UserFactory())
    rival_cart = cart_get_for_user(user=rival)
    cart_add_item(cart=rival_cart, product=product, quantity=2)
    order_place(user=rival, cart=rival_cart, shipping_address=address_data())
    assert "Only 1" in read(client, "/api/v1/cart/")[0]["items"][0]["notice"]
    # In German for a German reader: one answer per language.
    response = client.get("/api/v1/cart/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Only 1" not in response.json()["items"][0]["notice"]


def test_order_detail_is_cached_for_its_buyer_alone(buyer, client):
    product = ProductFactory(price="8.00", stock_quantity=5)
    client.post("/api/v1/cart/add/", {"product_id": product.pk, "quantity": 1}, format="json")
    order = client.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    ).json()
    path = f"/api/v1/orders/{order['id']}/"
    detail, count = read(client, path)
    assert count == 0 and detail["status"] == "pending"
    # Someone else asking for it: 404, never the cached answer.
    stranger = bearer_client(verify_email(UserFactory()))
    assert stranger.get(path).status_code == 404
    order_cancel(order=Order.objects.get(pk=order["id"]), by=buyer)
    detail, _count = read(client, path)
    assert detail["status"] == "cancelled"
    assert read(client, "/api/v1/orders/")[0]["results"][0]["status"] == "cancelled"


def test_a_customer_reads_the_shared_product_list_and_a_seller_their_own(buyer, client):
    shop = ShopFactory()
    ProductFactory(shop=shop, name="Public board")
    hidden = ProductFactory(shop=shop, name="Draft board", is_active=False)
    names = lambda answer: {p["name"] for p in answer["results"]}  # noqa: E731
    anonymous = read(APIClient(), "/api/v1/products/")[0]
    signed_in, count = read(client, "/api/v1/products/")
    assert count == 0 and signed_in == anonymous
    assert names(signed_in) == {"Public board"}
    # The customer becomes a member of the shop: their own list at once, with the draft.
    membership = MembershipFactory(shop=shop, user=buyer, role="staff")
    assert user_shop_ids(user=buyer) == {shop.pk}
    assert names(client.get("/api/v1/products/").json()) == {"Public board", hidden.name}
    assert client.get(f"/api/v1/products/{hidden.pk}/").status_code == 200
    # Removed again: the shared list, and the draft is gone.
    ShopMembership.objects.filter(pk=membership.pk).delete()
    assert names(client.get("/api/v1/products/").json()) == {"Public board"}
    assert client.get(f"/api/v1/products/{hidden.pk}/").status_code == 404


def test_memberships_are_cached_and_forgotten_when_anything_under_them_changes(buyer):
    shop = ShopFactory()
    MembershipFactory(shop=shop, user=buyer, role="owner")
    assert user_shop_ids(user=buyer) == {shop.pk}
    with CaptureQueriesContext(connection) as queries:
        assert user_shop_ids(user=buyer, roles=("owner",)) == {shop.pk}
        assert user_shop_ids(user=buyer, roles=("staff",)) == set()
    assert len(queries) == 0
    # A new address, not verified yet: the membership no longer counts.
    buyer.email = "new-address@example.com"
    buyer.save()
    assert user_shop_ids(user=buyer) == set()
    EmailAddress.objects.filter(user=buyer).update(primary=False)  # the old address
    verify_email(buyer)  # the new one, verified: a save the cache hears of
    assert user_shop_ids(user=buyer) == {shop.pk}
    ShopMembership.objects.filter(user=buyer).delete()
    assert user_shop_ids(user=buyer) == set()


def test_memberships_read_while_they_change_are_not_taken_as_current(buyer, monkeypatch):
    from shops import selectors

    shop = ShopFactory()
    membership = MembershipFactory(shop=shop, user=buyer, role="owner")

    class ReadBeforeTheChange:
        """The rows as read, then the membership removed before they are cached."""

        def using(self, alias):
            assert alias == "default"  # who may do what: read from the primary
            return self

        def values_list(self, *fields):
            ShopMembership.objects.filter(pk=membership.pk).delete()
            return [(shop.pk, "owner")]

    monkeypatch.setattr(selectors, "_memberships_of", lambda user: ReadBeforeTheChange())
    assert user_shop_ids(user=buyer) == {shop.pk}  # what that request read
    monkeypatch.undo()
    assert user_shop_ids(user=buyer) == set()  # not kept: the removal bumped the generation
