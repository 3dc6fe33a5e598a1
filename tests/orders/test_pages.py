"""Checkout, order history, an order's page and cancelling it, through the storefront
pages with Django's test client."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Address
from accounts.services import address_create
from cart.models import CartItem
from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product
from orders.models import Order, OrderStatus
from orders.services import order_place
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    set_stock,
    verify_email,
)

pytestmark = pytest.mark.django_db

CHECKOUT = "/checkout/"

NEW_ADDRESS = {
    "shipping-full_name": "Grace Hopper",
    "shipping-line1": "1 Navy Way",
    "shipping-line2": "",
    "shipping-city": "Arlington",
    "shipping-region": "VA",
    "shipping-postal_code": "22202",
    "shipping-country": "US",
    "shipping-phone": "+1 555 0100",
}


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def fill_cart(user, *products_and_quantities):
    cart = cart_get_for_user(user=user)
    for product, quantity in products_and_quantities:
        cart_add_item(cart=cart, product=product, quantity=quantity)
    return cart


def place(user, *products_and_quantities) -> Order:
    cart = fill_cart(user, *products_and_quantities)
    return order_place(user=user, cart=cart, shipping_address=address_data())


def paid_and_sent(order: Order) -> None:
    """`order` paid, and every shop's lines sent with a tracking number."""
    from orders.services import order_fulfil, order_mark_paid

    order_mark_paid(order=order)
    for shop_id in sorted({line.shop_id for line in order.lines.all()}):
        order_fulfil(order=order, shop_id=shop_id, tracking_number=f"TRACK{shop_id}", by=None)


def book_address(user, **data) -> Address:
    return address_create(user=user, data=address_data(**data))


@pytest.fixture
def buyer(db):
    return verify_email(UserFactory())


@pytest.fixture
def shopper(client, buyer):
    client.force_login(buyer)
    return client


def order_url(order) -> str:
    return reverse("orders:detail", args=[order.pk])


# --- Who may check out -------------------------------------------------------------------


def test_checkout_with_an_empty_guest_cart_sends_the_guest_back_to_the_cart(client):
    response = client.get(CHECKOUT)

    assert response.status_code == 302
    assert response.url == reverse("cart:detail")


def test_an_unverified_email_is_explained_and_its_post_refused(client):
    user = UserFactory()
    lamp = ProductFactory(stock_quantity=5)
    fill_cart(user, (lamp, 2))
    client.force_login(user)

    page = client.get(CHECKOUT)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Verify your email address to check out" in html
    assert f'href="{reverse("account_email")}"' in html
    assert 'id="checkout-form"' not in html

    refused = client.post(
        CHECKOUT, {"shipping_choice": "new", "billing_choice": "same", **NEW_ADDRESS}
    )
    assert refused.status_code == 403
    assert "Verify your email address to check out" in refused.content.decode()
    assert not Order.objects.exists()
    assert not Address.objects.exists()
    assert CartItem.objects.get().quantity == 2
    lamp.refresh_from_db()
    assert lamp.stock_quantity == 5


def test_an_empty_cart_goes_back_to_the_cart(shopper):
    response = shopper.get(CHECKOUT, follow=True)

    assert response.redirect_chain == [(reverse("cart:detail"), 302)]
    assert "Your cart is empty: add something to it before checking out." in page_messages(response)


def test_a_cart_with_problems_goes_back_to_the_cart(shopper, buyer):
    lamp = ProductFactory(stock_quantity=5)
    fill_cart(buyer, (lamp, 3))
    set_stock(lamp, 1)

    response = shopper.get(CHECKOUT, follow=True)

    assert response.redirect_chain == [(reverse("cart:detail"), 302)]
    assert "Some items in your cart need your attention first." in page_messages(response)


# --- The checkout page -------------------------------------------------------------------


def test_the_checkout_page_offers_the_address_book_and_sums_up_the_order(shopper, buyer):
    lamp = ProductFactory(name="Lamp", price="20.00")
    mug = ProductFactory(name="Mug", price="7.50")
    fill_cart(buyer, (lamp, 2), (mug, 1))
    other = book_address(buyer, full_name="Someone Else", city="Leeds")
    default = book_address(buyer, full_name="Ada Lovelace", is_default=True)

    html = shopper.get(CHECKOUT).content.decode()

    assert re.search(rf'name="shipping_choice" value="{default.pk}"\s+checked', html)
    assert re.search(rf'name="shipping_choice" value="{other.pk}">', html)
    assert 'name="shipping_choice" value="new"' in html
    assert re.search(r'name="billing_choice" value="same"\s+checked', html)
    assert 'name="shipping-city"' in html and 'name="save_shipping"' in html
    assert "Lamp" in html and "Mug" in html
    assert "$47.50" in html  # subtotal and total
    assert "Place order" in html


def test_checkout_with_an_address_book_address(
    shopper, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    lamp = ProductFactory(name="Lamp", price="20.00", stock_quantity=5)
    fill_cart(buyer, (lamp, 2))
    address = book_address(buyer, full_name="Ada Lovelace")

    with django_capture_on_commit_callbacks(execute=True):
        response = shopper.post(CHECKOUT, {"shipping_choice": address.pk, "billing_choice": "same"})

    order = Order.objects.get()
    assert response.status_code == 302 and response.url == order_url(order)
    assert order.user == buyer and order.status == OrderStatus.PENDING
    assert order.shipping_address == address.as_snapshot()
    assert order.billing_address is None
    assert order.total == 40
    lamp.refresh_from_db()
    assert lamp.stock_quantity == 3
    assert not CartItem.objects.exists()
    assert [message.to for message in mailoutbox] == [[buyer.email]]
    page = shopper.get(response.url)
    assert f"Thank you! Your order {order.number} is placed." in page_messages(page)


def test_checkout_with_a_new_address_saved_to_the_book(shopper, buyer):
    fill_cart(buyer, (ProductFactory(), 1))

    response = shopper.post(
        CHECKOUT,
        {"shipping_choice": "new", "save_shipping": "on", "billing_choice": "same", **NEW_ADDRESS},
    )

    order = Order.objects.get()
    assert response.url == order_url(order)
    assert order.shipping_address == {
        "full_name": "Grace Hopper",
        "line1": "1 Navy Way",
        "line2": "",
        "city": "Arlington",
        "region": "VA",
        "postal_code": "22202",
        "country": "US",
        "phone": "+1 555 0100",
    }
    saved = Address.objects.get(user=buyer)
    assert saved.as_snapshot() == order.shipping_address
    assert saved.is_default  # the first address of the book


def test_a_new_address_is_not_saved_unless_asked(shopper, buyer):
    book_address(buyer)
    fill_cart(buyer, (ProductFactory(), 1))

    shopper.post(CHECKOUT, {"shipping_choice": "new", "billing_choice": "same", **NEW_ADDRESS})

    assert Order.objects.get().shipping_address["full_name"] == "Grace Hopper"
    assert Address.objects.filter(user=buyer).count() == 1


def test_a_different_billing_address(shopper, buyer):
    shipping = book_address(buyer, full_name="Ada Lovelace")
    fill_cart(buyer, (ProductFactory(), 1))
    billing = {
        "billing-full_name": "Charles Babbage",
        "billing-line1": "1 Dorset Street",
        "billing-city": "London",
        "billing-country": "GB",
    }

    shopper.post(
        CHECKOUT,
        {"shipping_choice": shipping.pk, "billing_choice": "new", "save_billing": "on", **billing},
    )

    order = Order.objects.get()
    assert order.shipping_address["full_name"] == "Ada Lovelace"
    assert order.billing_address["full_name"] == "Charles Babbage"
    assert order.billing_address["country"] == "GB"
    assert Address.objects.filter(user=buyer, full_name="Charles Babbage").exists()
    html = shopper.get(order_url(order)).content.decode()
    assert "Charles Babbage" in html and "1 Dorset Street" in html and "United Kingdom" in html


def test_an_incomplete_new_address_is_a_form_error_and_writes_nothing(shopper, buyer):
    lamp = ProductFactory(stock_quantity=5)
    fill_cart(buyer, (lamp, 1))
    data = {**NEW_ADDRESS, "shipping-city": "", "shipping-country": ""}

    response = shopper.post(
        CHECKOUT,
        {"shipping_choice": "new", "save_shipping": "on", "billing_choice": "same", **data},
    )

    assert response.status_code == 200
    assert response.context["form"].shipping_form.errors.keys() == {"city", "country"}
    assert "This field is required." in response.content.decode()
    assert not Order.objects.exists() and not Address.objects.exists()
    lamp.refresh_from_db()
    assert lamp.stock_quantity == 5


def test_someone_elses_address_cannot_be_chosen(shopper, buyer):
    theirs = book_address(UserFactory())
    fill_cart(buyer, (ProductFactory(), 1))

    response = shopper.post(CHECKOUT, {"shipping_choice": theirs.pk, "billing_choice": "same"})

    assert response.status_code == 200
    assert "shipping_choice" in response.context["form"].errors
    assert not Order.objects.exists()


def test_insufficient_stock_at_checkout_shows_the_error_and_writes_no_order(shopper, buyer):
    lamp = ProductFactory(name="Lamp", stock_quantity=5)
    fill_cart(buyer, (lamp, 3))
    address = book_address(buyer)
    set_stock(lamp, 1)  # sold meanwhile

    response = shopper.post(
        CHECKOUT, {"shipping_choice": address.pk, "billing_choice": "same"}, follow=True
    )

    assert response.redirect_chain == [(reverse("cart:detail"), 302)]
    assert "Only 1 of “Lamp” left. Nothing was ordered: check your cart." in page_messages(response)
    assert not Order.objects.exists()
    assert CartItem.objects.get().quantity == 3
    lamp.refresh_from_db()
    assert lamp.stock_quantity == 1


def test_a_failed_checkout_does_not_save_the_typed_address(shopper, buyer):
    lamp = ProductFactory(stock_quantity=5)
    fill_cart(buyer, (lamp, 2))
    Product.objects.filter(pk=lamp.pk).update(is_active=False)

    response = shopper.post(
        CHECKOUT,
        {"shipping_choice": "new", "save_shipping": "on", "billing_choice": "same", **NEW_ADDRESS},
        follow=True,
    )

    assert f"“{lamp.name}” is no longer for sale. Nothing was ordered: check your cart." in (
        page_messages(response)
    )
    assert not Order.objects.exists() and not Address.objects.exists()


def test_checkout_without_the_csrf_token_is_refused(buyer):
    address = book_address(buyer)
    fill_cart(buyer, (ProductFactory(), 1))
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    response = client.post(CHECKOUT, {"shipping_choice": address.pk, "billing_choice": "same"})

    assert response.status_code == 403
    assert not Order.objects.exists()


# --- An order's page ---------------------------------------------------------------------


def test_the_order_page_shows_the_lines_and_the_reservation(shopper, buyer):
    lamp = ProductFactory(name="Lamp", price="20.00", shop=ShopFactory(name="Bright Ideas"))
    mug = ProductFactory(name="Mug", price="7.50")
    order = place(buyer, (lamp, 2), (mug, 1))
    Product.objects.filter(pk=lamp.pk).update(name="Renamed lamp", price="99.00")

    html = shopper.get(order_url(order)).content.decode()

    assert order.number in html
    assert "Lamp" in html and "Renamed lamp" not in html  # the snapshot, not the catalog
    assert "Bright Ideas" in html
    assert "2 \N{MULTIPLICATION SIGN} $20.00" in html and "$40.00" in html and "$47.50" in html
    reserved = timezone.localtime(order.reserved_until).strftime("%H:%M %Z")
    assert "Awaiting payment</strong> — we hold your items until" in html
    assert f">{reserved}</time>" in html
    assert "Pending payment" in html  # status badge and timeline
    assert "Ada Lovelace" in html and "United Kingdom" in html
    assert "Same as shipping" in html
    assert f'href="{reverse("orders:cancel", args=[order.pk])}"' in html


def test_a_paid_order_no_longer_shows_the_reservation(shopper, buyer):
    order = place(buyer, (ProductFactory(), 1))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, reserved_until=None)

    html = shopper.get(order_url(order)).content.decode()

    assert "Awaiting payment" not in html
    assert f'href="{reverse("orders:cancel", args=[order.pk])}"' in html  # paid: still cancellable


def test_an_expired_reservation_says_so(shopper, buyer):
    order = place(buyer, (ProductFactory(), 1))
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))

    html = shopper.get(order_url(order)).content.decode()

    assert "The time to pay ran out" in html


def test_another_persons_order_is_404(shopper):
    theirs = place(verify_email(UserFactory()), (ProductFactory(), 1))

    assert shopper.get(order_url(theirs)).status_code == 404
    assert shopper.get(reverse("orders:cancel", args=[theirs.pk])).status_code == 404
    assert shopper.post(reverse("orders:cancel", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PENDING


def test_order_pages_need_a_signed_in_user(client, buyer):
    order = place(buyer, (ProductFactory(), 1))

    for url in (reverse("orders:list"), order_url(order)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('account_login')}?next={url}"


# --- Cancelling --------------------------------------------------------------------------


def test_cancel_from_the_page_returns_the_stock(shopper, buyer, django_capture_on_commit_callbacks):
    lamp = ProductFactory(stock_quantity=5)
    order = place(buyer, (lamp, 2))
    cancel_url = reverse("orders:cancel", args=[order.pk])

    confirm = shopper.get(cancel_url)
    assert confirm.status_code == 200
    assert f'action="{cancel_url}"' in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = shopper.post(cancel_url, follow=True)

    assert response.redirect_chain == [(order_url(order), 302)]
    assert f"Your order {order.number} is cancelled." in page_messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    lamp.refresh_from_db()
    assert lamp.stock_quantity == 5
    html = response.content.decode()
    assert "status-cancelled" in html and "Cancelled" in html
    assert cancel_url not in html  # no second cancel button
    assert "Awaiting payment" not in html


def test_an_order_that_cannot_be_cancelled_says_so(shopper, buyer):
    order = place(buyer, (ProductFactory(), 1))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED, reserved_until=None)
    cancel_url = reverse("orders:cancel", args=[order.pk])

    assert cancel_url not in shopper.get(order_url(order)).content.decode()
    response = shopper.post(cancel_url, follow=True)

    assert "This order can no longer be cancelled." in page_messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert shopper.get(cancel_url).status_code == 302  # no confirmation page either


def test_a_shop_member_sees_the_sale_but_may_not_cancel_it(client, buyer):
    membership = MembershipFactory()
    theirs = ProductFactory(name="Their lamp", shop=membership.shop)
    other = ProductFactory(name="Other mug")
    order = place(buyer, (theirs, 1), (other, 1))
    client.force_login(membership.user)

    listing = client.get(reverse("orders:list")).content.decode()
    page = client.get(order_url(order)).content.decode()

    assert order.number in listing and "Sale from your shop" in listing
    assert "Their lamp" in page and "Other mug" not in page
    assert reverse("orders:cancel", args=[order.pk]) not in page
    assert client.post(reverse("orders:cancel", args=[order.pk])).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_staff_may_cancel_a_processing_order(client, buyer, staff_user):
    order = place(buyer, (ProductFactory(), 1))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROCESSING, reserved_until=None)
    client.force_login(staff_user)
    assert "Customer order" in client.get(reverse("orders:list")).content.decode()

    assert (
        reverse("orders:cancel", args=[order.pk]) in client.get(order_url(order)).content.decode()
    )
    client.post(reverse("orders:cancel", args=[order.pk]))

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


# --- Order history -----------------------------------------------------------------------


def test_order_history_lists_only_own_orders(shopper, buyer):
    mine = place(buyer, (ProductFactory(price="5.00"), 3))
    theirs = place(verify_email(UserFactory()), (ProductFactory(), 1))

    response = shopper.get(reverse("orders:list"))
    html = response.content.decode()

    assert response.status_code == 200
    assert [order.pk for order in response.context["orders"]] == [mine.pk]
    assert mine.number in html and theirs.number not in html
    assert f'href="{order_url(mine)}"' in html
    assert "3 items" in html and "$15.00" in html and "Pending payment" in html


def test_an_empty_order_history(shopper):
    assert "No orders yet" in shopper.get(reverse("orders:list")).content.decode()


def test_order_history_pages_by_twenty(shopper, buyer):
    product = ProductFactory(stock_quantity=100)
    orders = [place(buyer, (product, 1)) for _ in range(21)]

    first = shopper.get(reverse("orders:list"))
    second = shopper.get(reverse("orders:list"), {"page": 2})

    assert len(first.context["orders"]) == 20
    assert [order.pk for order in second.context["orders"]] == [orders[0].pk]  # the oldest
    assert 'rel="next"' in first.content.decode()


def test_the_header_links_to_the_orders(shopper):
    assert (
        f'href="{reverse("orders:list")}"' in shopper.get(reverse("cart:detail")).content.decode()
    )


# --- Query budgets -----------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 10])
def test_order_history_reads_in_a_fixed_number_of_queries(
    shopper, buyer, django_assert_max_num_queries, count
):
    product = ProductFactory(stock_quantity=100)
    for _ in range(count):
        order = place(buyer, (product, 1), (ProductFactory(), 2))
        paid_and_sent(order)

    # +3 since shipping: the shipments, their fulfilments and the fulfilments' lines.
    with django_assert_max_num_queries(12):
        response = shopper.get(reverse("orders:list"))

    assert len(response.context["orders"]) == count


@pytest.mark.parametrize("count", [1, 10])
def test_an_order_page_reads_in_a_fixed_number_of_queries(
    shopper, buyer, django_assert_max_num_queries, count
):
    order = place(buyer, *[(ProductFactory(), 1) for _ in range(count)])
    paid_and_sent(order)  # one shipment per shop (one per line here), each fulfilled

    # +3 since shipping: the shipments, their fulfilments and the fulfilments' lines;
    # +1: its invoices; + the header's bell (its unread count, cached after a first page).
    with django_assert_max_num_queries(13):
        response = shopper.get(order_url(order))

    assert len(response.context["lines"]) == count
    assert len(response.context["shipments"]) == count
    assert all(s.fulfilment_list for s in response.context["shipments"])
