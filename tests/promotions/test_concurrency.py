"""A code's limits hold under a crowd (PostgreSQL, real threads): its use is taken in
the checkout's transaction, under the promotion's and the code's row locks."""

import pytest

from cart.models import Cart, CartVoucher
from orders.models import Order
from orders.services import order_place
from promotions.exceptions import VoucherAlreadyUsed, VoucherUsedUp
from promotions.models import Promotion, Redemption, Voucher
from promotions.services import vouchers_generate
from tests.factories import ProductFactory, UserFactory, address_data, verify_email
from tests.orders.test_checkout import _run_in_threads, cart_with
from tests.promotions.helpers import code_promotion


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_200_shoppers_for_a_code_with_50_uses_left_give_exactly_50_discounted_orders():
    product = ProductFactory(price="20.00", stock_quantity=1000)
    promotion = code_promotion("CROWD", usage_limit=50)
    voucher = Voucher.objects.get(code="CROWD")
    buyers = [verify_email(UserFactory()) for _ in range(200)]
    carts = [cart_with(person, (product, 1)) for person in buyers]
    CartVoucher.objects.bulk_create(CartVoucher(cart=cart, voucher=voucher) for cart in carts)

    results = _run_in_threads(
        200,
        lambda index: (
            order_place(user=buyers[index], cart=carts[index], shipping_address=address_data()).pk
        ),
    )

    placed = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "error"]
    assert len(placed) == 50
    assert len(refused) == 150
    unexpected = {repr(error)[:200] for error in refused if not isinstance(error, VoucherUsedUp)}
    assert not unexpected
    assert all(error.as_dict()["code"] == "voucher_used_up" for error in refused)
    orders = Order.objects.all()
    assert orders.count() == 50
    assert all(order.discount_total == 2 and order.total == 18 for order in orders)
    promotion.refresh_from_db()
    voucher.refresh_from_db()
    assert promotion.used_count == voucher.used_count == 50
    assert Redemption.objects.count() == 50
    # The 150 refused kept their carts, code and all, and took no stock.
    assert CartVoucher.objects.count() == 150
    product.refresh_from_db()
    assert product.stock_quantity == 950


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_one_customer_on_two_devices_uses_a_once_per_customer_code_once():
    product = ProductFactory(price="20.00", stock_quantity=1000)
    promotion = code_promotion("ONEEACH", once_per_customer=True)
    # Two single-use codes of the same promotion (a newsletter sent twice): still one use
    # for the customer.
    codes = vouchers_generate(promotion=promotion, count=2, by=None)
    for _round in range(5):
        person = verify_email(UserFactory())
        phone = cart_with(person, (product, 1))
        laptop = Cart.objects.create()  # the other device's cart, checked out as them
        cart_with_lines = [phone, laptop]
        from cart.models import CartItem

        CartItem.objects.create(
            cart=laptop,
            product=product,
            variant=product.variants.get(),
            quantity=1,
            price_when_added=product.price,
        )
        for cart, code in zip(cart_with_lines, codes, strict=True):
            CartVoucher.objects.create(cart=cart, voucher=code)
        Voucher.objects.filter(pk__in=[c.pk for c in codes]).update(used_count=0)

        results = _run_in_threads(
            2,
            lambda index, person=person, carts=cart_with_lines: (
                order_place(user=person, cart=carts[index], shipping_address=address_data()).pk
            ),
        )

        outcomes = sorted(outcome for outcome, _value in results)
        assert outcomes == ["error", "ok"], results
        error = next(value for outcome, value in results if outcome == "error")
        assert isinstance(error, VoucherAlreadyUsed)
        assert Order.objects.filter(user=person).count() == 1
        assert Order.objects.get(user=person).discount_total == 2
        assert Redemption.objects.filter(user=person, released_at__isnull=True).count() == 1
    assert Promotion.objects.get(pk=promotion.pk).used_count == 5
