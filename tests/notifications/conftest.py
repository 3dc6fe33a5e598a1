"""What the notification tests share: a shop with its owner, and orders placed in it."""

import pytest

from cart.services import cart_add_item, cart_get_for_user
from orders.services import order_place
from tests.factories import ProductFactory, ShopFactory, UserFactory, address_data, verify_email


@pytest.fixture
def shop_and_seller():
    shop = ShopFactory(name="Lumen Lamps")
    seller = verify_email(UserFactory(email="sam@lumen.example"))
    shop.memberships.create(user=seller, role="owner")
    return shop, seller


def placed(buyer, shop):
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(shop=shop, price="20.00"), quantity=1)
    return order_place(user=buyer, cart=cart, shipping_address=address_data())
