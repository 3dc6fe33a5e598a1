"""Paying an order through the storefront pages (Django's test client): the pay page, the
answers after paying, the payments on the order's page and the saved cards. The dummy
provider is the default; the Stripe page is checked as rendered (Stripe.js is a browser's
business)."""

from __future__ import annotations

import re
import socket
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order, OrderStatus
from orders.services import order_cancel, order_place
from payments import services
from payments.exceptions import PaymentFailed
from payments.models import Payment, PaymentStatus, RefundReason, SavedPaymentMethod
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db

NEW_ADDRESS = {
    "shipping_choice": "new",
    "billing_choice": "same",
    "shipping-full_name": "Grace Hopper",
    "shipping-line1": "1 Navy Way",
    "shipping-city": "Arlington",
    "shipping-region": "VA",
    "shipping-postal_code": "22202",
    "shipping-country": "US",
}
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


# --- Helpers ---------------------------------------------------------------------------


def place(user, *, price: str = "24.50", quantity: int = 2) -> Order:
    cart = cart_get_for_user(user=user)
    cart_add_item(
        cart=cart, product=ProductFactory(price=price, stock_quantity=100), quantity=quantity
    )
    return order_place(user=user, cart=cart, shipping_address=address_data())


def pay_url(order) -> str:
    return reverse("payments:pay", args=[order.pk])


def order_url(order) -> str:
    return reverse("orders:detail", args=[order.pk])


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def open_payment(order) -> Payment:
    return order.payments.get(status__in=["requires_payment_method", "requires_confirmation"])


def pay(client, order, method="pm_card_visa", *, follow=False, **fields):
    """Open the pay page, then send its form with `method`, as a browser does."""
    page = client.get(pay_url(order))
    assert page.status_code == 200
    payment = page.context["payment"]
    return client.post(
        pay_url(order),
        {"payment": str(payment.pk), "payment_method": method, **fields},
        follow=follow,
    )


def scripts(html: str) -> list[tuple[str, str]]:
    """(attributes, body) of every <script> of the page."""
    return SCRIPT_TAG.findall(html)


def external_script_sources(html: str) -> list[str]:
    sources = [re.search(r'src="([^"]*)"', attrs) for attrs, _body in scripts(html)]
    return [src.group(1) for src in sources if src and src.group(1).startswith(("http", "//"))]


def assert_no_inline_script(html: str) -> None:
    for attrs, body in scripts(html):
        assert "src=" in attrs and not body.strip(), f"inline script: {attrs} {body[:80]}"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


@pytest.fixture
def buyer(db):
    return verify_email(UserFactory(email="ada@example.com"))


@pytest.fixture
def browser(client, buyer) -> Client:
    client.force_login(buyer)
    return client


@pytest.fixture
def stripe_settings(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_never_called"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_publishable_123"
    return settings


def stripe_payment(order, *, status="requires_payment_method") -> Payment:
    """The order's open Stripe payment, made here so that payment_create reuses it
    instead of calling Stripe."""
    return Payment.objects.create(
        order=order,
        user=order.user,
        provider="stripe",
        provider_payment_id=f"pi_test_{order.number}",
        status=status,
        amount=order.total,
        currency=order.currency,
        client_secret=f"pi_test_{order.number}_secret_abc",
        idempotency_key=f"order-{order.pk}-attempt-1",
    )


# --- The journey -----------------------------------------------------------------------


def test_checkout_then_pay_with_a_visa_card(browser, buyer, django_capture_on_commit_callbacks):
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(name="Lamp", price="24.50"), quantity=2)

    placed = browser.post(reverse("orders:checkout"), NEW_ADDRESS, follow=True)
    order = Order.objects.get(user=buyer)
    order_page = placed.content.decode()
    assert f'href="{pay_url(order)}"' in order_page and "Pay now" in order_page

    page = browser.get(pay_url(order))
    html = page.content.decode()
    payment = page.context["payment"]
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT_METHOD
    assert payment.amount == Decimal("49.00")
    assert "Visa ending 4242 (succeeds)" in html and 'value="pm_card_visa"' in html
    assert 'value="pm_card_mastercard"' in html
    assert 'value="pm_card_chargeDeclined"' in html
    assert 'value="pm_card_insufficientFunds"' in html
    assert 'name="save_payment_method"' in html
    assert "Pay $49.00" in html and "Lamp" in html
    assert f'name="payment" value="{payment.pk}"' in html
    assert page["Cache-Control"].startswith("max-age=0")  # the page carries a secret

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            pay_url(order), {"payment": payment.pk, "payment_method": "pm_card_visa"}
        )

    paid_url = f"{reverse('payments:paid', args=[order.pk])}?payment={payment.pk}"
    assert response.status_code == 302 and response.url == paid_url
    thanks = browser.get(paid_url).content.decode()
    assert "Thank you — payment received" in thanks
    assert order.number in thanks and "$49.00" in thanks
    assert f'href="{order_url(order)}"' in thanks

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID and payment.status == PaymentStatus.SUCCEEDED
    detail = browser.get(order_url(order)).content.decode()
    assert "status-paid" in detail and ">Paid<" in detail
    assert "Visa •••• 4242" in detail and "$49.00" in detail
    assert "Awaiting payment" not in detail and pay_url(order) not in detail
    assert not SavedPaymentMethod.objects.exists()  # not asked to save it


def test_a_declined_card_shows_why_and_try_again_starts_a_new_payment(browser, buyer):
    order = place(buyer)

    response = pay(browser, order, "pm_card_chargeDeclined")

    first = order.payments.get()
    failed_url = f"{reverse('payments:failed', args=[order.pk])}?payment={first.pk}"
    assert response.status_code == 302 and response.url == failed_url
    failure = browser.get(failed_url).content.decode()
    assert "Payment failed" in failure and "Your card was declined." in failure
    assert f'href="{pay_url(order)}"' in failure and "Try again" in failure
    first.refresh_from_db()
    order.refresh_from_db()
    assert first.status == PaymentStatus.FAILED and first.decline_code == "generic_decline"
    assert order.status == OrderStatus.PENDING

    retry = browser.get(pay_url(order))  # the "Try again" button
    second = retry.context["payment"]
    assert second.pk != first.pk and second.status == PaymentStatus.REQUIRES_PAYMENT_METHOD

    response = browser.post(
        pay_url(order), {"payment": second.pk, "payment_method": "pm_card_visa"}
    )

    assert response.url.startswith(reverse("payments:paid", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    detail = browser.get(order_url(order)).content.decode()
    assert "Payments</h2>" in detail
    assert "Failed" in detail and "Your card was declined." in detail and ">Paid<" in detail


def test_insufficient_funds_are_explained(browser, buyer):
    order = place(buyer)

    response = pay(browser, order, "pm_card_insufficientFunds", follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("payments:failed", args=[order.pk]))
    html = response.content.decode()
    assert "Your card has insufficient funds." in html
    assert "Nothing was charged." in html and "Try again" in html


def test_the_failure_page_without_a_payment_named_shows_the_last_failure(browser, buyer):
    order = place(buyer)
    pay(browser, order, "pm_card_insufficientFunds")

    html = browser.get(reverse("payments:failed", args=[order.pk])).content.decode()

    assert "Your card has insufficient funds." in html


def test_a_form_sent_twice_lands_where_the_first_did(browser, buyer):
    order = place(buyer)
    pay(browser, order, "pm_card_chargeDeclined")
    failed = order.payments.get()

    again = browser.post(pay_url(order), {"payment": failed.pk, "payment_method": "pm_card_visa"})

    assert again.url == f"{reverse('payments:failed', args=[order.pk])}?payment={failed.pk}"
    assert order.payments.count() == 1  # a failed payment is not confirmed again
    pay(browser, order, "pm_card_visa")
    paid = order.payments.get(status=PaymentStatus.SUCCEEDED)
    again = browser.post(pay_url(order), {"payment": paid.pk, "payment_method": "pm_card_visa"})
    assert again.url == f"{reverse('payments:paid', args=[order.pk])}?payment={paid.pk}"


def test_an_unknown_card_or_payment_is_a_form_error_or_a_fresh_form(browser, buyer):
    order = place(buyer)
    payment = browser.get(pay_url(order)).context["payment"]

    bad_card = browser.post(pay_url(order), {"payment": payment.pk, "payment_method": "pm_fake"})
    no_card = browser.post(pay_url(order), {"payment": payment.pk})
    stale = browser.post(
        pay_url(order),
        {"payment": "00000000-0000-0000-0000-000000000000", "payment_method": "pm_card_visa"},
        follow=True,
    )

    assert bad_card.status_code == 200 and "Select a valid choice" in bad_card.content.decode()
    assert no_card.status_code == 200 and "This field is required." in no_card.content.decode()
    assert "That payment form was out of date: here is a fresh one." in page_messages(stale)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT_METHOD
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


# --- Who may pay what ------------------------------------------------------------------


def test_another_person_cannot_open_my_pay_pages(client, buyer):
    order = place(buyer)
    pay(_signed_in(Client(), buyer), order, "pm_card_chargeDeclined")
    payment = order.payments.get()
    member = MembershipFactory().user
    for someone in (verify_email(UserFactory()), StaffFactory(), member):
        client.force_login(someone)
        assert client.get(pay_url(order)).status_code == 404
        assert (
            client.post(
                pay_url(order), {"payment": payment.pk, "payment_method": "pm_card_visa"}
            ).status_code
            == 404
        )
        assert client.get(reverse("payments:paid", args=[order.pk])).status_code == 404
        assert client.get(reverse("payments:failed", args=[order.pk])).status_code == 404
    assert order.payments.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def _signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_pay_pages_need_a_signed_in_person(client, buyer):
    order = place(buyer)
    for url in (
        pay_url(order),
        reverse("payments:paid", args=[order.pk]),
        reverse("payments:methods"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('account_login')}?next={url}"
    assert not Payment.objects.exists()


def test_a_paid_order_cannot_be_paid_again(browser, buyer):
    order = place(buyer)
    pay(browser, order)

    response = browser.get(pay_url(order), follow=True)

    assert response.redirect_chain == [(order_url(order), 302)]
    assert f"Order {order.number} is already paid." in page_messages(response)
    assert order.payments.count() == 1


def test_a_cancelled_order_cannot_be_paid(browser, buyer, django_capture_on_commit_callbacks):
    order = place(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=buyer)

    response = browser.get(pay_url(order), follow=True)

    assert f"Order {order.number} is cancelled: it can no longer be paid." in page_messages(
        response
    )
    assert not order.payments.exists()


def test_an_order_cancelled_while_its_form_is_open_is_not_charged(
    browser, buyer, django_capture_on_commit_callbacks
):
    order = place(buyer)
    payment = browser.get(pay_url(order)).context["payment"]
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=buyer)  # cancels the open payment too

    response = browser.post(
        pay_url(order), {"payment": payment.pk, "payment_method": "pm_card_visa"}, follow=True
    )

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED
    assert response.redirect_chain[-1][0] == order_url(order)
    assert f"Order {order.number} is cancelled: it can no longer be paid." in page_messages(
        response
    )


def test_the_pay_button_is_only_for_the_buyer_of_a_pending_order(client, buyer):
    order = place(buyer)
    staff = StaffFactory()

    client.force_login(staff)
    assert pay_url(order) not in client.get(order_url(order)).content.decode()
    client.force_login(buyer)
    assert pay_url(order) in client.get(order_url(order)).content.decode()


def test_the_paid_page_before_paying_sends_to_the_pay_page(browser, buyer):
    order = place(buyer)
    assert browser.get(reverse("payments:paid", args=[order.pk])).url == order_url(order)

    payment = browser.get(pay_url(order)).context["payment"]

    response = browser.get(f"{reverse('payments:paid', args=[order.pk])}?payment={payment.pk}")
    assert response.url == pay_url(order)
    bogus = browser.get(f"{reverse('payments:paid', args=[order.pk])}?payment=nope")
    assert bogus.status_code == 404


# --- Saved cards -----------------------------------------------------------------------


def test_save_a_card_pay_with_it_then_remove_it(browser, buyer):
    first = place(buyer)
    pay(browser, first, "pm_card_visa", save_payment_method="on")

    card = SavedPaymentMethod.objects.get(user=buyer)
    methods = browser.get(reverse("payments:methods"))
    html = methods.content.decode()
    assert methods.status_code == 200
    assert "Visa •••• 4242, expires 12/2034" in html
    remove_url = reverse("payments:method_remove", args=[card.pk])
    assert f'action="{remove_url}"' in html

    second = place(buyer)
    page = browser.get(pay_url(second)).content.decode()
    assert '<optgroup label="Your saved cards">' in page
    assert "Visa •••• 4242, expires 12/2034" in page
    assert f'href="{reverse("payments:methods")}"' in page
    pay(browser, second, card.provider_method_id)
    second.refresh_from_db()
    assert second.status == OrderStatus.PAID

    removed = browser.post(remove_url, follow=True)

    assert removed.redirect_chain == [(reverse("payments:methods"), 302)]
    assert "Visa •••• 4242 is removed from your saved cards." in page_messages(removed)
    assert "No saved cards" in removed.content.decode()
    assert not SavedPaymentMethod.objects.exists()
    assert "<optgroup" not in browser.get(pay_url(place(buyer))).content.decode()


def test_someone_elses_card_cannot_be_removed(client, buyer):
    card = SavedPaymentMethod.objects.create(
        user=buyer, provider="dummy", provider_method_id="pm_card_visa", brand="visa", last4="4242"
    )
    client.force_login(verify_email(UserFactory()))

    assert "Visa" not in client.get(reverse("payments:methods")).content.decode()
    assert client.post(reverse("payments:method_remove", args=[card.pk])).status_code == 404
    assert client.get(reverse("payments:method_remove", args=[card.pk])).status_code == 405
    assert SavedPaymentMethod.objects.filter(pk=card.pk).exists()


# --- Stripe ----------------------------------------------------------------------------


def test_the_stripe_pay_page_mounts_stripe_js_without_inline_script(
    stripe_settings, browser, buyer
):
    order = place(buyer)
    payment = stripe_payment(order)

    page = browser.get(pay_url(order))
    html = page.content.decode()

    assert page.status_code == 200 and page.context["payment"] == payment
    assert external_script_sources(html) == ["https://js.stripe.com/v3/"]
    assert re.search(r'<script src="/static/js/payments(\.[0-9a-f]+)?\.js"></script>', html)
    assert 'data-stripe-key="pk_test_publishable_123"' in html
    assert f'data-client-secret="{payment.client_secret}"' in html
    return_url = f"http://testserver/orders/{order.pk}/paid/?payment={payment.pk}"
    assert f'data-return-url="{return_url}"' in html
    assert 'id="payment-element"' in html
    assert_no_inline_script(html)
    assert "pm_card_visa" not in html  # no test cards with Stripe
    assert Payment.objects.count() == 1  # reused, Stripe never called


def test_stripe_js_is_on_the_pay_page_only(stripe_settings, browser, buyer):
    order = place(buyer)
    stripe_payment(order)

    for url in (
        order_url(order),
        reverse("orders:list"),
        reverse("payments:methods"),
        reverse("home"),
        reverse("cart:detail"),
    ):
        html = browser.get(url).content.decode()
        assert "js.stripe.com" not in html, url
        assert external_script_sources(html) == [], url


def test_the_dummy_pay_page_loads_no_external_script(browser, buyer):
    html = browser.get(pay_url(place(buyer))).content.decode()

    assert external_script_sources(html) == []
    assert "js.stripe.com" not in html and "payments.js" not in html
    assert_no_inline_script(html)


def test_stripe_return_before_the_webhook_says_the_payment_is_being_confirmed(
    stripe_settings, browser, buyer
):
    order = place(buyer)
    payment = stripe_payment(order)
    returned = (
        f"{reverse('payments:paid', args=[order.pk])}?payment={payment.pk}"
        f"&payment_intent={payment.provider_payment_id}&redirect_status=succeeded"
    )

    waiting = browser.get(returned)

    html = waiting.content.decode()
    assert waiting.status_code == 200
    assert "We are confirming your payment" in html
    assert "Requires a payment method" in html  # the status as the shop knows it
    assert '<meta http-equiv="refresh" content="5">' in html
    assert "Thank you" not in html
    assert_no_inline_script(html)

    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.PROCESSING)
    html = browser.get(returned).content.decode()
    assert "We are confirming your payment" in html and "Processing" in html
    # Meanwhile the pay page sends there too, rather than offering to pay again.
    assert browser.get(pay_url(order)).url.startswith(reverse("payments:paid", args=[order.pk]))

    services.payment_mark_succeeded(payment=payment)  # what the webhook does
    html = browser.get(returned).content.decode()
    assert "Thank you — payment received" in html and 'http-equiv="refresh"' not in html


def test_stripe_return_with_a_failed_payment_shows_the_failure(stripe_settings, browser, buyer):
    order = place(buyer)
    payment = stripe_payment(order)
    base = f"{reverse('payments:paid', args=[order.pk])}?payment={payment.pk}"

    assert browser.get(f"{base}&redirect_status=failed").url.startswith(
        reverse("payments:failed", args=[order.pk])
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.FAILED, decline_code="insufficient_funds"
    )
    failure = browser.get(base, follow=True).content.decode()
    assert "Your card has insufficient funds." in failure


def test_stripe_without_a_publishable_key_says_cards_are_unavailable(
    stripe_settings, browser, buyer
):
    stripe_settings.STRIPE_PUBLISHABLE_KEY = ""
    order = place(buyer)
    stripe_payment(order)

    html = browser.get(pay_url(order)).content.decode()

    assert "Paying by card on the website is not available right now." in html
    assert "js.stripe.com" not in html


def test_a_stripe_payment_waiting_for_the_bank_hands_over_to_stripe_js(
    stripe_settings, browser, buyer
):
    order = place(buyer)
    stripe_payment(order, status=PaymentStatus.REQUIRES_ACTION)

    html = browser.get(pay_url(order)).content.decode()

    assert 'data-requires-action="true"' in html and "Confirm with your bank" in html
    assert 'id="payment-element"' not in html
    assert_no_inline_script(html)


def test_stripe_out_of_reach_is_a_form_error_not_a_server_error(stripe_settings, browser, buyer):
    """A saved card confirmed by the server while Stripe cannot be reached (the real SDK,
    pointed at a closed local port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    order = place(buyer)
    payment = stripe_payment(order)
    SavedPaymentMethod.objects.create(
        user=buyer, provider="stripe", provider_method_id="pm_saved_1", brand="visa", last4="4242"
    )
    page = browser.get(pay_url(order)).content.decode()
    assert "Pay with a saved card" in page and 'value="pm_saved_1"' in page

    response = browser.post(pay_url(order), {"payment": payment.pk, "payment_method": "pm_saved_1"})

    assert response.status_code == 200
    assert "The payment provider could not be reached. Please try again." in (
        response.content.decode()
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT_METHOD


# --- The order page: payments and refunds ----------------------------------------------


def _paid_with_refunds(buyer, count: int) -> Order:
    """An order with `count - 1` declined payments, then a paid one refunded `count`
    times (1.00 each)."""
    order = place(buyer, price="30.00", quantity=1)
    for _ in range(count - 1):
        payment, _created = services.payment_create(user=buyer, order=order)
        with pytest.raises(PaymentFailed):
            services.payment_confirm(payment=payment, payment_method="pm_card_chargeDeclined")
    payment, _created = services.payment_create(user=buyer, order=order)
    payment = services.payment_confirm(payment=payment, payment_method="pm_card_mastercard")
    for _ in range(count):
        services.payment_refund(
            payment=payment, amount=Decimal("1.00"), reason=RefundReason.DUPLICATE
        )
    return order


def test_the_order_page_shows_payments_refunds_and_the_refunded_total(browser, buyer):
    order = _paid_with_refunds(buyer, 2)

    html = browser.get(order_url(order)).content.decode()

    assert html.count('class="payment-item"') == 2
    assert "Mastercard •••• 4444" in html and ">Paid<" in html and "Failed" in html
    assert html.count('class="refund-item"') == 2
    assert "Duplicate" in html and "Succeeded" in html
    assert "Refunded in total: <strong>$2.00</strong>" in html
    assert f'href="{reverse("payments:methods")}"' in html


def test_a_shop_member_does_not_see_the_buyers_payments(client, buyer):
    order = _paid_with_refunds(buyer, 1)
    member = MembershipFactory(shop=order.lines.get().shop).user
    client.force_login(member)

    html = client.get(order_url(order)).content.decode()

    assert order.number in html and 'class="payment-item"' not in html


@pytest.mark.parametrize("count", [1, 5])
def test_the_order_page_with_payments_reads_in_a_fixed_number_of_queries(
    browser, buyer, django_assert_max_num_queries, count
):
    order = _paid_with_refunds(buyer, count)

    # The order page's own ten queries (shipments and their fulfilments among them), plus
    # one for the payments and one for their refunds, however many; one for its invoices;
    # one for the header's bell (its unread count, cached after a first page).
    with django_assert_max_num_queries(13):
        response = browser.get(order_url(order))

    html = response.content.decode()
    assert html.count('class="payment-item"') == count
    assert html.count('class="refund-item"') == count
