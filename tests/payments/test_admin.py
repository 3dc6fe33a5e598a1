"""The payments admin: read-only history of the money (payments, refunds, webhook events,
saved cards, provider customers), lists in a fixed number of queries, and refunds through
payments.services (a refusal is a message, never a 500)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order, OrderStatus
from orders.services import order_place
from payments import services
from payments.models import (
    Payment,
    PaymentStatus,
    ProviderCustomer,
    Refund,
    RefundReason,
    SavedPaymentMethod,
    WebhookEvent,
)
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db

PAYMENTS = reverse("admin:payments_payment_changelist")
REFUNDS = reverse("admin:payments_refund_changelist")
EVENTS = reverse("admin:payments_webhookevent_changelist")
METHODS = reverse("admin:payments_savedpaymentmethod_changelist")
CUSTOMERS = reverse("admin:payments_providercustomer_changelist")
CHANGELISTS = [PAYMENTS, REFUNDS, EVENTS, METHODS, CUSTOMERS]


# --- Helpers ---------------------------------------------------------------------------


def place(user, *, price: str = "30.00") -> Order:
    cart = cart_get_for_user(user=user)
    cart_add_item(cart=cart, product=ProductFactory(price=price, stock_quantity=100), quantity=1)
    return order_place(user=user, cart=cart, shipping_address=address_data())


def paid_payment(*, price: str = "30.00", user=None) -> Payment:
    """A succeeded payment of a new order, made through the services (dummy provider)."""
    user = user or verify_email(UserFactory())
    order = place(user, price=price)
    payment, _created = services.payment_create(user=user, order=order)
    return services.payment_confirm(payment=payment, payment_method="pm_card_visa")


def change_url(payment: Payment) -> str:
    return reverse("admin:payments_payment_change", args=[payment.pk])


def refund_url(payment: Payment) -> str:
    return reverse("admin:payments_payment_refund", args=[payment.pk])


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _rows(count: int) -> None:
    """`count` rows of every payments model (payments with a refund each)."""
    user = verify_email(UserFactory())
    product = ProductFactory(stock_quantity=1000)
    for index in range(count):
        cart = cart_get_for_user(user=user)
        cart_add_item(cart=cart, product=product, quantity=1)
        order = order_place(user=user, cart=cart, shipping_address=address_data())
        payment = Payment.objects.create(
            order=order,
            user=user,
            provider="dummy",
            provider_payment_id=f"pi_dummy_{index}",
            status=PaymentStatus.SUCCEEDED,
            amount=order.total,
            currency=order.currency,
            idempotency_key=f"order-{order.pk}-attempt-1",
        )
        Refund.objects.create(
            payment=payment,
            amount=Decimal("1.00"),
            currency=order.currency,
            status="succeeded",
            provider_refund_id=f"re_{index}",
            created_by=user,
        )
        WebhookEvent.objects.create(
            event_id=f"evt_{index}", provider="stripe", type="charge.refunded", payload={}
        )
        owner = UserFactory()
        SavedPaymentMethod.objects.create(
            user=owner, provider="dummy", provider_method_id=f"pm_{index}", brand="visa"
        )
        ProviderCustomer.objects.create(user=owner, provider="dummy", customer_id=f"cus_{index}")


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


# --- Lists -----------------------------------------------------------------------------


@pytest.mark.parametrize("row_count", [3, 30])
@pytest.mark.parametrize("url", CHANGELISTS)
def test_changelists_read_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, row_count, url
):
    _rows(row_count)

    # One budget for 3 rows and for 30 (the site's cart context processor included).
    with django_assert_max_num_queries(7):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == row_count


def test_the_payment_list_shows_the_money_and_who_paid(admin_client):
    payment = paid_payment(price="42.00")

    html = admin_client.get(PAYMENTS).content.decode()

    assert payment.order.number in html and payment.user.email in html
    assert "42.00" in html and "Succeeded" in html and "dummy" in html


@pytest.mark.parametrize(
    "term", ["order_number", "user_email", "provider_payment_id", "id", "id_prefix"]
)
def test_payments_are_found_by_order_email_or_ids(admin_client, term):
    payment = paid_payment()
    other = paid_payment()
    query = {
        "order_number": payment.order.number,
        "user_email": payment.user.email,
        "provider_payment_id": payment.provider_payment_id,
        "id": str(payment.pk),
        "id_prefix": str(payment.pk)[:13],
    }[term]

    response = admin_client.get(PAYMENTS, {"q": query})

    listed = list(response.context["cl"].result_list)
    assert payment in listed and other not in listed


def test_payments_filter_by_status_and_provider(admin_client):
    payment = paid_payment()
    user = payment.user
    order = place(user)
    failed, _ = services.payment_create(user=user, order=order)
    Payment.objects.filter(pk=failed.pk).update(status=PaymentStatus.FAILED)

    by_status = admin_client.get(PAYMENTS, {"status__exact": "failed"})
    by_provider = admin_client.get(PAYMENTS, {"provider": "dummy"})

    assert list(by_status.context["cl"].result_list) == [failed]
    assert len(by_provider.context["cl"].result_list) == 2


# --- Read-only -------------------------------------------------------------------------


def test_a_payment_cannot_be_changed_added_or_deleted_by_hand(admin_client):
    payment = paid_payment(price="30.00")

    page = admin_client.get(change_url(payment))
    changed = admin_client.post(
        change_url(payment),
        {"amount": "1.00", "refunded_amount": "30.00", "status": "failed", "currency": "EUR"},
    )
    added = admin_client.get(reverse("admin:payments_payment_add"))
    deleted = admin_client.post(
        reverse("admin:payments_payment_delete", args=[payment.pk]), {"post": "yes"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="amount"' not in html and 'type="submit" value="Save"' not in html
    assert payment.client_secret not in html  # the secret that completes a payment
    assert changed.status_code == 403 and added.status_code == 403 and deleted.status_code == 403
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.amount == Decimal("30.00") and stored.refunded_amount == 0
    assert stored.status == PaymentStatus.SUCCEEDED and stored.currency == "USD"


@pytest.mark.parametrize("model", ["refund", "webhookevent", "savedpaymentmethod"])
def test_refunds_events_and_cards_are_read_only(admin_client, model):
    payment = paid_payment()
    refund = services.payment_refund(payment=payment, amount=Decimal("5.00"))
    event = WebhookEvent.objects.create(
        event_id="evt_1", provider="stripe", type="payment_intent.succeeded", payload={"a": 1}
    )
    card = SavedPaymentMethod.objects.create(
        user=payment.user, provider="dummy", provider_method_id="pm_x", brand="visa"
    )
    obj = {"refund": refund, "webhookevent": event, "savedpaymentmethod": card}[model]

    page = admin_client.get(reverse(f"admin:payments_{model}_change", args=[obj.pk]))
    posted = admin_client.post(reverse(f"admin:payments_{model}_change", args=[obj.pk]), {})
    added = admin_client.get(reverse(f"admin:payments_{model}_add"))
    deleted = admin_client.post(
        reverse(f"admin:payments_{model}_delete", args=[obj.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert posted.status_code == 403 and added.status_code == 403 and deleted.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    refund.refresh_from_db()
    assert refund.amount == Decimal("5.00")


def test_the_payment_page_shows_its_refunds_read_only(admin_client):
    payment = paid_payment()
    services.payment_refund(payment=payment, amount=Decimal("5.00"), reason=RefundReason.DUPLICATE)

    html = admin_client.get(change_url(payment)).content.decode()

    assert "Duplicate" in html and "5.00" in html
    assert 'name="refunds-0-amount"' not in html
    assert f'href="{refund_url(payment)}"' in html  # what remains can be refunded


def test_a_webhook_events_payload_is_shown_as_json(admin_client):
    event = WebhookEvent.objects.create(
        event_id="evt_123",
        provider="stripe",
        type="payment_intent.succeeded",
        payload={"data": {"object": {"id": "pi_1", "note": "<b>bold</b>"}}},
    )

    html = admin_client.get(
        reverse("admin:payments_webhookevent_change", args=[event.pk])
    ).content.decode()
    found = admin_client.get(EVENTS, {"q": "evt_123"})
    filtered = admin_client.get(EVENTS, {"type": "charge.refunded"})

    assert '<textarea readonly rows="20" cols="100" aria-label="Payload">' in html
    assert "&quot;id&quot;: &quot;pi_1&quot;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert list(found.context["cl"].result_list) == [event]
    assert list(filtered.context["cl"].result_list) == []


# --- Refunds through the service -------------------------------------------------------


def test_the_action_refunds_the_selected_payments_in_full(admin_client, superuser):
    payment = paid_payment(price="30.00")

    response = admin_client.post(
        PAYMENTS, {"action": "refund_in_full", "_selected_action": [payment.pk]}, follow=True
    )

    assert "Refunded 1 payment in full." in page_messages(response)
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("30.00") and refund.created_by == superuser
    assert refund.reason == RefundReason.REQUESTED_BY_CUSTOMER
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("30.00")
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.REFUNDED and order.refunded_total == Decimal("30.00")


def test_the_action_refunds_what_it_can_and_says_what_it_could_not(admin_client):
    refundable = paid_payment(price="30.00")
    user = refundable.user
    unpaid, _ = services.payment_create(user=user, order=place(user))

    response = admin_client.post(
        PAYMENTS,
        {"action": "refund_in_full", "_selected_action": [refundable.pk, unpaid.pk]},
        follow=True,
    )

    shown = page_messages(response)
    assert response.status_code == 200
    assert "Refunded 1 payment in full." in shown
    assert any(
        message.startswith("Not refunded (1):")
        and unpaid.order.number in message
        and "Only a succeeded payment can be refunded." in message
        for message in shown
    )
    assert Refund.objects.filter(payment=refundable).count() == 1
    assert not Refund.objects.filter(payment=unpaid).exists()


def test_a_partial_refund_then_the_rest(admin_client, superuser):
    payment = paid_payment(price="30.00")

    form = admin_client.get(refund_url(payment))
    assert form.status_code == 200
    assert 'name="amount"' in form.content.decode() and 'name="reason"' in form.content.decode()

    response = admin_client.post(
        refund_url(payment), {"amount": "12.50", "reason": "duplicate"}, follow=True
    )

    assert response.redirect_chain == [(change_url(payment), 302)]
    assert any(
        message.startswith("Refunded 12.50 USD of order") for message in page_messages(response)
    )
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("12.50") and refund.reason == RefundReason.DUPLICATE
    assert refund.created_by == superuser
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.PAID and order.refunded_total == Decimal("12.50")

    admin_client.post(refund_url(payment), {"amount": "", "reason": "requested_by_customer"})

    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("30.00")
    assert order.status == OrderStatus.REFUNDED and order.refunded_total == Decimal("30.00")
    assert (
        f'href="{refund_url(payment)}"'
        not in admin_client.get(change_url(payment)).content.decode()
    )


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("30.01", "At most 30.00 USD remains to refund."),
        ("0", "Ensure this value is greater than or equal to 0.01."),
        ("lots", "Enter a number."),
    ],
)
def test_a_bad_partial_amount_is_an_error_and_changes_nothing(admin_client, amount, expected):
    payment = paid_payment(price="30.00")

    response = admin_client.post(refund_url(payment), {"amount": amount, "reason": "duplicate"})

    assert response.status_code == 200
    assert expected in response.content.decode()
    if amount == "30.01":
        assert f"Not refunded: {expected}" in page_messages(response)
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.refunded_amount == 0
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID


def test_refunding_an_unpaid_payment_is_refused_with_a_message(admin_client):
    user = verify_email(UserFactory())
    payment, _ = services.payment_create(user=user, order=place(user))

    page = admin_client.get(change_url(payment)).content.decode()
    response = admin_client.post(refund_url(payment), {"amount": "1.00", "reason": "other"})

    assert f'href="{refund_url(payment)}"' not in page
    assert response.status_code == 200
    assert "Not refunded: Only a succeeded payment can be refunded." in page_messages(response)
    assert not Refund.objects.exists()


# --- Who gets in -----------------------------------------------------------------------


def test_people_who_are_not_staff_cannot_get_in(client):
    payment = paid_payment()
    admin_login = reverse("admin:login")

    for url in [*CHANGELISTS, change_url(payment), refund_url(payment)]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(admin_login), url

    client.force_login(UserFactory())
    for url in [*CHANGELISTS, change_url(payment), refund_url(payment)]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(admin_login), url
    client.post(PAYMENTS, {"action": "refund_in_full", "_selected_action": [payment.pk]})
    client.post(refund_url(payment), {"amount": "1.00", "reason": "other"})
    assert not Refund.objects.exists()


def test_shop_members_do_not_see_payments(client):
    payment = paid_payment()
    client.force_login(MembershipFactory().user)

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert PAYMENTS not in index.content.decode()
    for url in [*CHANGELISTS, change_url(payment), refund_url(payment)]:
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            PAYMENTS, {"action": "refund_in_full", "_selected_action": [payment.pk]}
        ).status_code
        == 403
    )
    assert not Refund.objects.exists()


def test_staff_without_the_permission_to_change_payments_cannot_refund(client):
    from django.contrib.auth.models import Permission

    payment = paid_payment()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client.force_login(viewer)

    listing = client.get(PAYMENTS)
    assert listing.status_code == 200
    assert "refund_in_full" not in listing.content.decode()
    assert client.get(refund_url(payment)).status_code == 403
    assert f'href="{refund_url(payment)}"' not in client.get(change_url(payment)).content.decode()
    assert not Refund.objects.exists()


def test_the_order_admin_page_lists_the_orders_payments(admin_client):
    from cart.services import cart_add_item, cart_get_for_user
    from orders.services import order_place
    from payments.services import payment_confirm, payment_create
    from tests.factories import ProductFactory, UserFactory, address_data, verify_email

    user = verify_email(UserFactory())
    cart = cart_get_for_user(user=user)
    cart_add_item(cart=cart, product=ProductFactory(price="9.50"), quantity=1)
    order = order_place(user=user, cart=cart, shipping_address=address_data())
    payment, _ = payment_create(user=user, order=order)
    payment_confirm(payment=payment, payment_method="pm_card_visa")

    page = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "payments" in html.lower() and "9.50" in html and "Succeeded" in html
