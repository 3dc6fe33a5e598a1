"""Guest checkout on the pages (issue 19): a shopper without an account buys with an
email address, follows the order from the signed link in its mails (status, cancel,
pay), an account adopts the guest's orders once its address is verified, and a large
guest order waits for the address to be confirmed before the sellers see it."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.guests import Guest
from cart.services import cart_get_for_session
from orders.exceptions import OrderAwaitingEmail, PendingOrdersLimit
from orders.links import order_link_token
from orders.models import Order, OrderStatus
from orders.selectors import order_visibility
from orders.services import order_fulfil, order_mark_paid, order_place
from payments.models import Payment
from tests.factories import (
    DEFAULT_PASSWORD,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)
from tests.orders.test_pages import NEW_ADDRESS

pytestmark = pytest.mark.django_db

CHECKOUT = "/checkout/"
GUEST = {
    "email": "Guest@Example.COM",
    "shipping_choice": "new",
    "billing_choice": "same",
    **NEW_ADDRESS,
}


def add(client, product, quantity=1):
    return client.post(reverse("cart:add"), {"product_id": product.pk, "quantity": quantity})


def link_in(message) -> str:
    """The signed order link of a mail, as a path."""
    found = re.search(r"https?://[^/\s]+(/orders/link/[^\s\"<]+/)", message.body)
    assert found, message.body
    return found.group(1)


def guest_buys(client, *products, **extra) -> Order:
    for product in products:
        assert add(client, product).status_code == 302
    response = client.post(CHECKOUT, {**GUEST, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.latest("created_at")
    assert response.url == reverse("orders:detail", args=[order.pk])
    return order


def test_a_guest_checks_out_with_an_email_and_gets_a_signed_link(
    client, django_capture_on_commit_callbacks
):
    lamp = ProductFactory(name="Desk Lamp", price="40.00", stock_quantity=5)
    add(client, lamp)
    html = client.get(CHECKOUT).content.decode()
    assert 'name="email"' in html and 'name="save_shipping"' not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHECKOUT, GUEST)

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.user is None and order.email == "Guest@example.com"
    assert order.status == OrderStatus.PENDING and not order.awaiting_email
    assert cart_get_for_session(session=client.session).items.count() == 0
    confirmation = mail.outbox[-1]
    assert confirmation.to == ["Guest@example.com"]
    assert "without an account" in confirmation.body
    link = link_in(confirmation)

    # The session that placed it reads it and pays it as a guest.
    page = client.get(reverse("orders:detail", args=[order.pk]))
    assert page.status_code == 200
    assert "Create an account with Guest@example.com" in page.content.decode()
    pay = client.get(reverse("payments:pay", args=[order.pk]))
    assert pay.status_code == 200 and 'name="save_payment_method"' not in pay.content.decode()
    payment = Payment.objects.get(order=order)
    assert payment.user is None
    response = client.post(
        reverse("payments:pay", args=[order.pk]),
        {"payment": str(payment.pk), "payment_method": "pm_card_visa"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # Another browser: nothing without the link, everything with it.
    stranger = Client()
    assert stranger.get(reverse("orders:detail", args=[order.pk])).status_code == 302
    opened = stranger.get(link)
    assert opened.status_code == 302 and opened.url == reverse("orders:detail", args=[order.pk])
    page = stranger.get(opened.url)
    assert page.status_code == 200 and order.number in page.content.decode()


def test_a_forged_or_altered_link_opens_nothing(client):
    order = order_place(
        user=Guest(order_ids=()),
        cart=_guest_cart_with(ProductFactory()),
        shipping_address=address_data(),
        email="g@example.com",
    )
    token = order_link_token(order)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(reverse("orders:link", args=[altered]))

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 302


def _guest_cart_with(*products):
    from cart.models import Cart
    from cart.services import cart_add_item

    cart = Cart.objects.create()
    for product in products:
        cart_add_item(cart=cart, product=product, quantity=1)
    return cart


def test_a_guest_cancels_from_the_link_and_the_stock_returns(client):
    lamp = ProductFactory(stock_quantity=3)
    order = guest_buys(client, lamp)
    lamp.variants.get().refresh_from_db()

    page = client.get(reverse("orders:cancel", args=[order.pk]))
    assert page.status_code == 200
    response = client.post(reverse("orders:cancel", args=[order.pk]))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.status_history.last().by is None  # the guest: no account
    assert lamp.variants.get().stock_quantity == 3


def test_a_guest_email_is_required_and_checked(client):
    add(client, ProductFactory())

    response = client.post(CHECKOUT, {**GUEST, "email": "not an address"})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Order.objects.exists()


def test_guests_are_held_to_the_pending_orders_cap_whatever_email_they_give(client, settings):
    settings.ORDER_MAX_PENDING_ORDERS = 2
    product = ProductFactory(stock_quantity=50)
    guest_buys(client, product)
    guest_buys(client, product, email="other@example.com")

    add(client, product)
    response = client.post(CHECKOUT, {**GUEST, "email": "third@example.com"}, follow=True)

    assert Order.objects.count() == 2
    assert any(
        "unpaid" in str(m) or "pending" in str(m).lower() for m in response.context["messages"]
    )
    # Through the services: the same address from another browser counts too.
    settings.ORDER_MAX_PENDING_ORDERS = 1
    with pytest.raises(PendingOrdersLimit):
        order_place(
            user=Guest(),
            cart=_guest_cart_with(product),
            shipping_address=address_data(),
            email="guest@example.com",
        )


def test_a_large_guest_order_waits_for_its_address_before_the_sellers_see_it(
    client, settings, django_capture_on_commit_callbacks
):
    settings.GUEST_CONFIRM_ABOVE = "100.00"
    shop = ShopFactory()
    seller = verify_email(UserFactory())
    shop.memberships.create(user=seller, role="owner")
    tv = ProductFactory(shop=shop, price="500.00", stock_quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        order = guest_buys(client, tv)
    assert order.awaiting_email and order.email_confirmed_at is None
    assert "confirm your email address" in mail.outbox[-1].body
    assert order_mark_paid(order=order)

    orders, _lines, _own = order_visibility(user=seller)
    assert not orders.filter(pk=order.pk).exists()
    with pytest.raises(OrderAwaitingEmail):
        order_fulfil(order=order, shop_id=shop.pk, by=seller)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "open it to confirm your address" in page

    # Opening the mailed link confirms the address: the order goes to the seller.
    client.get(link_in(mail.outbox[-1]))
    order.refresh_from_db()
    assert not order.awaiting_email and order.email_confirmed_at is not None
    orders, _lines, _own = order_visibility(user=seller)
    assert orders.filter(pk=order.pk).exists()
    order_fulfil(order=order, shop_id=shop.pk, by=seller, carrier="DHL", tracking_number="1")


def test_a_small_guest_order_goes_to_the_sellers_at_once(client, settings):
    settings.GUEST_CONFIRM_ABOVE = "100.00"
    order = guest_buys(client, ProductFactory(price="99.00"))
    assert not order.awaiting_email


def test_an_account_adopts_the_guest_orders_once_its_address_is_verified(
    client, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress

    order = guest_buys(client, ProductFactory(price="20.00"))
    other = guest_buys(Client(), ProductFactory(), email="someone@example.com")
    client.get(reverse("payments:pay", args=[order.pk]))  # a payment attempt, no account

    # Signing up with the address: the orders wait for the address to be verified.
    person = UserFactory(email="guest@example.com")
    address = EmailAddress.objects.create(user=person, email=person.email, verified=False)
    order.refresh_from_db()
    assert order.user is None

    from allauth.account.models import EmailConfirmationHMAC

    key = EmailConfirmationHMAC(address).key  # the mailed link, followed
    assert Client().post(reverse("account_confirm_email", args=[key])).status_code == 302

    order.refresh_from_db()
    other.refresh_from_db()
    assert order.user == person and order.guest_key == ""
    assert other.user is None
    assert Payment.objects.get(order=order).user == person
    person_client = Client()
    person_client.force_login(person)
    assert person_client.get(reverse("orders:detail", args=[order.pk])).status_code == 200
    listing = person_client.get(reverse("orders:list")).content.decode()
    assert order.number in listing


def test_signing_in_adopts_the_confirmed_guest_orders_of_a_verified_address(
    client, django_capture_on_commit_callbacks
):
    person = verify_email(UserFactory(email="ada@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        order = guest_buys(client, ProductFactory(), email="ADA@example.com")
    # Someone else typed Ada's address at checkout: never confirmed from her mailbox.
    planted = guest_buys(Client(), ProductFactory(), email="ada@example.com")
    client.get(link_in(mail.outbox[-1]))  # Ada opens her order's link: confirmed

    response = client.post(
        reverse("account_login"), {"login": "ada@example.com", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    planted.refresh_from_db()
    assert order.user == person and planted.user is None


def test_an_adopted_order_is_no_longer_the_guest_session_s(client):
    from orders.services import orders_adopt

    order = guest_buys(client, ProductFactory(), email="ada@example.com")
    person = verify_email(UserFactory(email="ada@example.com"))
    assert orders_adopt(user=person, emails=["ada@example.com"]) == 1

    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 404
    link = client.get(reverse("orders:link", args=[order_link_token(order)]))
    assert link.status_code == 302 and "/accounts/login/" in link.url
    order.refresh_from_db()
    assert order.email == "ada@example.com" and order.email_confirmed_at is not None


def test_a_once_per_customer_code_asks_a_guest_to_sign_in():
    from promotions.exceptions import VoucherNotApplicable
    from promotions.services import promotion_create, voucher_check

    promotion_create(
        shop=None,
        data={
            "name": "Once",
            "reward": "percentage",
            "value": "10",
            "code": "ONCE10",
            "once_per_customer": True,
        },
        by=None,
    )
    with pytest.raises(VoucherNotApplicable) as refused:
        voucher_check(code="once10", user=Guest())
    assert refused.value.extra["reason"] == "account_required"


def test_guest_order_mails_and_exports_use_the_guest_address(client, admin_client):
    order = guest_buys(client, ProductFactory(price="12.00"))
    listing = admin_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "Guest@example.com (guest)" in listing
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "Guest@example.com (a guest" in page.content.decode()
    assert order.total == Decimal("12.00")


def test_guest_checkouts_are_limited_per_address_like_the_api(client, throttle_rates):
    throttle_rates(checkout="1/hour")
    product = ProductFactory(stock_quantity=10)
    guest_buys(client, product)

    add(client, product)
    response = client.post(CHECKOUT, {**GUEST, "email": "again@example.com"}, follow=True)

    assert Order.objects.count() == 1
    assert any("Too many orders" in str(m) for m in response.context["messages"])
