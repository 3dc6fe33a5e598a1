"""The edges of promotions: who pays for a code in the sellers' statements, free
shipping only where a code reaches, a sale of some variants, limits out of range, codes
that went stale in a cart, and removing what orders used."""

from decimal import Decimal as D

import pytest

from cart.models import CartVoucher
from catalog.services import product_create
from orders.models import Order
from orders.selectors import seller_statements
from orders.services import order_mark_paid
from promotions.exceptions import VoucherNotApplicable
from promotions.models import Promotion
from promotions.services import promotion_create, promotion_delete
from tests.conftest import bearer_client
from tests.factories import ProductFactory, ShopFactory, StaffFactory
from tests.orders.test_api_orders import checkout, fill_cart, shopper
from tests.promotions.helpers import code_promotion, running_sale
from tests.promotions.test_vouchers import add_code

pytestmark = pytest.mark.django_db


def _paid_order_with(code: str, *products) -> Order:
    _user, client = shopper()
    fill_cart(client, *products)
    assert add_code(client, code).status_code == 200
    order = Order.objects.get(pk=checkout(client).json()["id"])
    order_mark_paid(order=order)
    return order


@pytest.mark.parametrize(
    ("shop_code", "gross", "platform", "commission", "owed"),
    [
        # A platform code: the buyer paid 80.00; the platform owes the shop its 20.00;
        # 10% commission on the 100.00 sold (no tax here): 10.00; 80 + 20 - 10 = 90.
        (False, "80.00", "20.00", "10.00", "90.00"),
        # The shop's own code: the shop gave 20.00; 10% of 80.00 = 8.00; 80 - 8 = 72.
        (True, "80.00", "0.00", "8.00", "72.00"),
    ],
)
def test_statements_count_what_buyers_paid_and_who_funds_a_code(
    settings, shop_code, gross, platform, commission, owed
):
    settings.PLATFORM_COMMISSION_RATE = "10.00"
    lamp = ProductFactory(price="100.00", stock_quantity=5)
    code_promotion("TWENTY", shop=lamp.shop if shop_code else None, reward="fixed", value="20.00")
    _paid_order_with("TWENTY", lamp)

    (statement,) = seller_statements()

    assert statement["gross_sales"] == D(gross)
    assert statement["platform_discounts"] == D(platform)
    assert statement["commission"] == D(commission)
    assert statement["net_owed"] == D(owed)


def test_a_platform_free_shipping_code_for_one_shop_frees_that_shops_shipping_only():
    from shipping.services import shipping_method_create, shipping_zone_create

    shops = []
    for name in ("Alpha", "Beta"):
        shop = ShopFactory(name=name, ships=False)
        zone = shipping_zone_create(shop=shop, data={"name": "All", "countries": []}, by=None)
        shipping_method_create(zone=zone, data={"name": "Post", "price": "5.00"}, by=None)
        shops.append(shop)
    alpha = ProductFactory(shop=shops[0], price="10.00")
    beta = ProductFactory(shop=shops[1], price="10.00")
    promotion_create(
        shop=None,
        data={
            "name": "Alpha ships free",
            "reward": "free_shipping",
            "shops": [shops[0]],
            "code": "ALPHAFREE",
        },
        by=None,
    )
    _user, client = shopper()
    fill_cart(client, alpha, beta)
    add_code(client, "ALPHAFREE")

    order = checkout(client).json()

    shipping = {s["shop"]["name"]: (s["price"], s["discount"]) for s in order["shipments"]}
    assert shipping == {"Alpha": ("5.00", "5.00"), "Beta": ("5.00", "0.00")}
    assert order["total"] == "25.00"  # 20.00 + 10.00 shipping - 5.00


def test_a_sale_of_some_variants_shows_in_the_range_where_the_variants_do(client):
    from tests.catalog.test_variants_api import tee_data

    tee = product_create(user=None, shop=ShopFactory(), data=tee_data())
    blue_m = tee.variants.get(sku="TEE-M-BLUE")  # 13.00
    running_sale(value="50", variants=[blue_m])

    detail = client.get(f"/api/v1/products/{tee.pk}/").json()
    prices = {v["sku"]: (v["price"], v["compare_at_price"]) for v in detail["variants"]}
    assert prices["TEE-M-BLUE"] == ("6.50", "13.00")
    assert prices["TEE-S-RED"] == ("10.00", None)
    # The detail's range comes from its variants' prices: 6.50 to 12.00.
    assert detail["price"] == "6.50"
    assert detail["price_range"] == {"min": "6.50", "max": "12.00"}
    # A card does not load variants: it keeps the product's own range.
    card = next(p for p in client.get("/api/v1/products/").json()["results"] if p["id"] == tee.pk)
    assert card["price"] == "10.00" and card["compare_at_price"] is None


def test_limits_out_of_range_are_400():
    staff = StaffFactory(is_superuser=True)
    client = bearer_client(staff)
    promotion = code_promotion("RANGE")

    generated = client.post(
        f"/api/v1/promotions/{promotion.pk}/codes/",
        {"count": 2, "usage_limit": 3_000_000_000},
        format="json",
    )
    made = client.post(
        "/api/v1/promotions/",
        {"name": "Big", "reward": "percentage", "value": "5", "usage_limit": 3_000_000_000},
        format="json",
    )

    assert generated.status_code == 400 and generated.json()["code"] == "validation_error"
    assert made.status_code == 400 and "usage_limit" in made.json()["fields"]


def test_a_code_gone_stale_in_the_cart_can_be_removed_from_the_page(client, user):
    from cart.services import cart_add_item, cart_get_for_user, cart_voucher_add

    cart = cart_get_for_user(user=user)
    cart_add_item(cart=cart, product=ProductFactory(), quantity=1)
    promotion = code_promotion("STALE")
    cart_voucher_add(cart=cart, code="STALE", user=user)
    Promotion.objects.filter(pk=promotion.pk).update(is_active=False)
    client.force_login(user)

    page = client.get("/cart/").content.decode()
    assert "STALE: This discount code has expired. Remove it to check out." in page
    client.post("/cart/voucher/remove/", {"code": "STALE"})
    assert not CartVoucher.objects.exists()
    assert "STALE:" not in client.get("/cart/").content.decode()


def test_a_promotion_an_order_used_is_kept():
    from core.errors import DomainValidationError

    product = ProductFactory(price="10.00")
    promotion = code_promotion("KEEPME")
    _paid_order_with("KEEPME", product)

    with pytest.raises(DomainValidationError):
        promotion_delete(promotion=promotion, by=None)
    assert Promotion.objects.filter(pk=promotion.pk).exists()


def test_a_code_removed_while_in_a_cart_is_unknown_at_checkout():
    product = ProductFactory(price="10.00")
    promotion = code_promotion("GONE")
    _user, client = shopper()
    fill_cart(client, product)
    add_code(client, "GONE")
    promotion_delete(promotion=promotion, by=None)

    response = checkout(client)

    assert response.status_code in (200, 201)  # the cart lost the code with it


def test_checkout_refuses_a_code_that_no_longer_reaches_the_cart():
    from cart.services import cart_get_for_user, cart_remove_item
    from orders.services import order_place
    from tests.factories import address_data

    user, client = shopper()
    inside, outside = ProductFactory(price="10.00"), ProductFactory(price="10.00")
    fill_cart(client, inside, outside)
    code_promotion("ONLYONE", products=[inside])
    assert add_code(client, "ONLYONE").status_code == 200
    cart = cart_get_for_user(user=user)
    cart_remove_item(cart=cart, item=cart.items.get(product=inside))

    with pytest.raises(VoucherNotApplicable) as refused:
        order_place(user=user, cart=cart, shipping_address=address_data())
    assert refused.value.as_dict()["reason"] == "no_eligible_line"
