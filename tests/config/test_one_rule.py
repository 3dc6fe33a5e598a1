"""One rule, every face: where the API, the admins and the pages disagreed, they now ask
the same policy (the stricter rule won). Who may refund: `payments.policies.may_refund`
(Django's `payments.add_refund`), in the API, the payments admin and the orders admin
(whose "Refund in full" the payments app adds). Who may reopen a shop staff closed:
staff only (`shops.policies.may_set_shop_active`), in the API, the pages and the admin.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cart.services import cart_add_item, cart_get_for_user
from orders.models import OrderStatus
from orders.services import order_place
from payments import services as payment_services
from shops.models import Shop
from shops.services import shop_create
from tests.conftest import bearer_client
from tests.factories import ProductFactory, StaffFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:orders_order_changelist")
PAYMENTS = reverse("admin:payments_payment_changelist")


@pytest.fixture
def paid():
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(price="20.00"), quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    payment, _ = payment_services.payment_create(user=buyer, order=order)
    payment = payment_services.payment_confirm(payment=payment, payment_method="pm_card_visa")
    return order, payment


def actions_on(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _label in form.fields["action"].choices} if form else set()


def test_changing_payments_is_not_refunding_them_in_any_face(client, paid):
    order, payment = paid
    clerk = StaffFactory(
        permissions=[
            "payments.view_payment",
            "payments.change_payment",
            "orders.view_order",
            "orders.change_order",
        ]
    )
    response = bearer_client(clerk).post(
        "/api/v1/payments/refund/", {"payment_id": str(payment.pk)}, format="json"
    )
    assert response.status_code == 403
    client.force_login(clerk)
    assert "refund_in_full" not in actions_on(client, PAYMENTS)
    assert "refund_in_full" not in actions_on(client, ORDERS)
    refund_page = reverse("admin:payments_payment_refund", args=[payment.pk])
    assert client.get(refund_page).status_code == 403
    # The action refused even when posted by hand.
    client.post(ORDERS, {"action": "refund_in_full", "_selected_action": [str(order.pk)]})
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_the_refund_permission_refunds_in_every_face(client, paid):
    order, payment = paid
    cashier = StaffFactory(
        permissions=["payments.view_payment", "payments.add_refund", "orders.view_order"]
    )
    client.force_login(cashier)
    assert "refund_in_full" in actions_on(client, PAYMENTS)
    assert "refund_in_full" in actions_on(client, ORDERS)
    response = bearer_client(cashier).post(
        "/api/v1/payments/refund/",
        {"payment_id": str(payment.pk), "amount": "5.00"},
        format="json",
    )
    assert response.status_code == 201
    client.post(ORDERS, {"action": "refund_in_full", "_selected_action": [str(order.pk)]})
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_total == order.total


def test_a_shop_staff_closed_reopens_through_staff_only_in_every_face(client):
    owner = verify_email(UserFactory())
    shop = shop_create(owner=owner, data={"name": "Closed Corner"})
    staff = StaffFactory()
    assert bearer_client(staff).delete(f"/api/v1/shops/{shop.pk}/").status_code == 204

    # API
    api = bearer_client(owner)
    assert (
        api.patch(f"/api/v1/shops/{shop.pk}/", {"is_active": True}, format="json").status_code
        == 403
    )
    # Admin, as the shop's seller: the field is not theirs, and a posted value is ignored.
    client.force_login(owner)
    change = reverse("admin:shops_shop_change", args=[shop.pk])
    page = client.get(change)
    assert "is_active" not in page.context["adminform"].form.fields
    client.post(change, {"name": shop.name, "is_active": "on", "low_stock_threshold": 5})
    # Pages: the shop's page is not open to the public.
    client.logout()
    assert client.get(reverse("catalog:shop_detail", args=[shop.slug])).status_code == 404
    shop.refresh_from_db()
    assert not shop.is_active and shop.closed_by_staff

    # Staff reopen it, in the admin.
    client.force_login(staff)
    client.post(
        reverse("admin:shops_shop_changelist"),
        {"action": "activate_shops", "_selected_action": [shop.pk]},
    )
    shop.refresh_from_db()
    assert shop.is_active and not shop.closed_by_staff


def test_a_shop_opened_in_the_admin_goes_through_the_service(client):
    client.force_login(StaffFactory())
    client.post(
        reverse("admin:shops_shop_add"),
        {
            "name": "  Tea House  ",
            "slug": "",
            "low_stock_threshold": 5,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    shop = Shop.objects.get()
    # shop_create's rules: the name trimmed, the slug made from it, approved at once.
    assert (shop.name, shop.slug) == ("Tea House", "tea-house")
    assert shop.approved_at is not None and shop.is_active
