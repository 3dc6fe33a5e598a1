import pytest
from django.contrib.sessions.backends.db import SessionStore

from cart.exceptions import InsufficientStock, ProductUnavailable
from cart.models import Cart, CartItem
from cart.selectors import cart_contents, cart_summary
from cart.services import (
    GUEST_CART_SESSION_KEY,
    cart_add_item,
    cart_clear,
    cart_get_for_session,
    cart_get_for_user,
    cart_merge,
    cart_set_quantity,
)
from catalog.models import Product
from core.errors import DomainValidationError
from tests.factories import ProductFactory, UserFactory, set_stock

pytestmark = pytest.mark.django_db


def test_a_guest_cart_lives_in_the_session():
    session = SessionStore()
    assert cart_get_for_session(session=session) is None
    cart = cart_get_for_session(session=session, create=True)
    assert session[GUEST_CART_SESSION_KEY] == cart.pk and cart.user is None
    assert cart_get_for_session(session=session) == cart


def test_a_session_cannot_reach_a_signed_in_persons_cart():
    owned = cart_get_for_user(user=UserFactory())
    session = SessionStore()
    session[GUEST_CART_SESSION_KEY] = owned.pk
    assert cart_get_for_session(session=session) is None


def test_merge_adds_quantities_capped_at_stock_and_drops_withdrawn_products():
    user = UserFactory()
    target = cart_get_for_user(user=user)
    guest = Cart.objects.create()
    both = ProductFactory(name="Both", stock_quantity=4)
    only_guest = ProductFactory(name="Guest only", stock_quantity=9)
    withdrawn = ProductFactory(name="Withdrawn", stock_quantity=9)
    cart_add_item(cart=target, product=both, quantity=2)
    cart_add_item(cart=guest, product=both, quantity=3)
    cart_add_item(cart=guest, product=only_guest, quantity=1)
    cart_add_item(cart=guest, product=withdrawn, quantity=1)
    Product.objects.filter(pk=withdrawn.pk).update(is_active=False)

    notices = cart_merge(source=guest, target=target)

    quantities = dict(CartItem.objects.filter(cart=target).values_list("product__name", "quantity"))
    assert quantities == {"Both": 4, "Guest only": 1}
    assert any("Only 4 of “Both” left" in notice for notice in notices)
    assert any("Withdrawn" in notice for notice in notices)
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert cart_contents(user=user)[0] == 5


def test_merge_into_itself_changes_nothing():
    user = UserFactory()
    cart = cart_get_for_user(user=user)
    cart_add_item(cart=cart, product=ProductFactory(), quantity=1)
    assert cart_merge(source=cart, target=cart) == []
    assert cart_contents(user=user)[0] == 1


def test_stock_and_quantity_rules():
    cart = cart_get_for_user(user=UserFactory())
    product = ProductFactory(stock_quantity=2)
    with pytest.raises(InsufficientStock):
        cart_add_item(cart=cart, product=product, quantity=3)
    item = cart_add_item(cart=cart, product=product, quantity=2)
    with pytest.raises(DomainValidationError):
        cart_add_item(cart=cart, product=product, quantity=0)
    with pytest.raises(DomainValidationError):
        cart_set_quantity(cart=cart, item=item, quantity=-1)
    assert cart_set_quantity(cart=cart, item=item, quantity=0) is None
    hidden = ProductFactory(is_active=False)
    with pytest.raises(ProductUnavailable):
        cart_add_item(cart=cart, product=hidden, quantity=1)


def test_summary_notices_for_stock_that_ran_low_and_out():
    cart = cart_get_for_user(user=UserFactory())
    low = ProductFactory(name="Low", stock_quantity=5)
    gone = ProductFactory(name="Gone", stock_quantity=5)
    cart_add_item(cart=cart, product=low, quantity=3)
    cart_add_item(cart=cart, product=gone, quantity=1)
    set_stock(low, 2)
    set_stock(gone, 0)
    summary = cart_summary(cart=cart)
    details = [notice["detail"] for notice in summary.notices]
    assert "Only 2 of “Low” left: lower the quantity." in details
    assert "“Gone” is out of stock: remove it to check out." in details
    assert summary.has_problems
    cart_clear(cart=cart)
    assert cart_summary(cart=cart).lines == []
    assert cart_summary(cart=None).subtotal == 0
