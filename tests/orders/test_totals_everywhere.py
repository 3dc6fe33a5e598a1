"""Every face shows the same figures for the same order (issue 17): the cart page's
estimate, the checkout page, the API, the order mail and the admin all show subtotal,
shipping per shop, tax and total from one function (cart.pricing.totals_rows)."""

import html
import re
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse

from accounts.services import address_create
from catalog.templatetags.shop_tags import money
from orders.models import Order
from shipping.services import shipping_method_create, shipping_zone_create
from taxes.services import tax_rates_load_eu
from tests.conftest import bearer_client
from tests.factories import ProductFactory, ShopFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


def shop(name: str, price: str):
    made = ShopFactory(name=name, ships=False)
    zone = shipping_zone_create(shop=made, data={"name": "EU", "countries": ["DE"]}, by=None)
    shipping_method_create(zone=zone, data={"name": "Parcel", "price": price}, by=None)
    return made


def shown_rows(page: str) -> list[tuple[str, str]]:
    """The (label, amount) rows of the totals on a page (includes/_totals.html)."""
    block = re.search(r'<dl class="totals">(.*?)</dl>', page, re.S).group(1)
    return [
        (html.unescape(label), html.unescape(amount))
        for label, amount in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)
    ]


def test_the_cart_checkout_api_mail_and_admin_show_the_same_totals(
    client, django_capture_on_commit_callbacks
):
    tax_rates_load_eu()
    buyer = verify_email(UserFactory())
    address_create(user=buyer, data={**address_data(country="DE", city="Köln"), "is_default": True})
    lamp = ProductFactory(shop=shop("Lamps", "4.90"), price="33.33", stock_quantity=9)
    tea = ProductFactory(
        shop=shop("Tea", "2.45"), price="7.77", stock_quantity=9, tax_class="reduced"
    )
    client.force_login(buyer)
    for product, quantity in ((lamp, 2), (tea, 3)):
        client.post(
            reverse("cart:add"),
            {
                "product_id": product.pk,
                "variant_id": product.variants.get().pk,
                "quantity": quantity,
            },
        )

    # 66.66 x 19% = 12.6654 -> 12.67;  23.31 x 7% = 1.6317 -> 1.63;
    # shipping 4.90 x 19% = 0.931 -> 0.93 and 2.45 x 19% = 0.4655 -> 0.47.
    # Subtotal 89.97, shipping 7.35, tax 15.70, total 113.02.
    expected = [
        ("Subtotal", "89.97"),
        ("Shipping, Lamps (Parcel)", "4.90"),
        ("Shipping, Tea (Parcel)", "2.45"),
        ("Tax", "15.70"),
        ("Total", "113.02"),
    ]
    as_money = [(label, money(D(amount), "USD")) for label, amount in expected]

    cart_page = client.get(reverse("cart:detail")).content.decode()
    assert shown_rows(cart_page) == as_money
    checkout_page = client.get(reverse("orders:checkout")).content.decode()
    assert shown_rows(checkout_page) == as_money

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post(
            reverse("orders:checkout"),
            {"shipping_choice": str(buyer.addresses.get().pk), "billing_choice": "same"},
        )
    assert placed.status_code == 302, placed.content.decode()[:2000]
    order = Order.objects.get(user=buyer)
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        D("89.97"),
        D("7.35"),
        D("15.70"),
        D("113.02"),
    )

    order_page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert shown_rows(order_page) == as_money

    api = bearer_client(buyer).get(f"/api/v1/orders/{order.pk}/").json()
    assert (api["subtotal"], api["shipping_total"], api["tax_total"], api["total"]) == (
        "89.97",
        "7.35",
        "15.70",
        "113.02",
    )
    assert [(s["shop"]["name"], s["price"]) for s in api["shipments"]] == [
        ("Lamps", "4.90"),
        ("Tea", "2.45"),
    ]

    [confirmation] = mail.outbox
    for label, amount in expected:
        assert f"{label}: {amount} USD" in confirmation.body

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    admin_page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content
    admin_page = html.unescape(admin_page.decode())
    for label, amount in expected:
        assert f"{label}: {amount} USD" in admin_page
