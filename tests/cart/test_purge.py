"""Old guest carts are purged (the daily beat task and its command); signed-in people's
carts and recent guest carts stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cart.models import Cart, CartItem
from cart.services import cart_add_item
from cart.tasks import purge_guest_carts
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def _aged(cart: Cart, days: int) -> Cart:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=days))
    return cart


def test_guest_carts_untouched_for_the_setting_are_purged(settings):
    settings.GUEST_CART_DAYS = 30
    product = ProductFactory()
    old_guest = _aged(Cart.objects.create(), 31)
    cart_add_item(cart=old_guest, product=product, quantity=1)
    _aged(old_guest, 31)
    recent_guest = _aged(Cart.objects.create(), 29)
    old_person = _aged(Cart.objects.create(user=UserFactory()), 400)

    assert purge_guest_carts() == 1

    assert set(Cart.objects.values_list("pk", flat=True)) == {recent_guest.pk, old_person.pk}
    assert not CartItem.objects.filter(cart_id=old_guest.pk).exists()


def test_the_command_takes_its_own_age():
    _aged(Cart.objects.create(), 8)
    out = StringIO()
    call_command("purge_guest_carts", "--days", "7", stdout=out)
    assert out.getvalue().strip() == "Purged 1 guest cart."
    assert not Cart.objects.exists()
