"""Staff permissions are Django's permissions, on the API as in the admin (issue 14, point 1).

Beside the permissions matrix (tests/api/test_permissions_matrix.py, whose callers include
staff without permissions and staff with only the view permissions): who may change
privileges. Only a superuser grants or takes staff rights, edits a superuser, or switches
a staff account on or off; the same rule holds in the admin.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import policies, services
from core.errors import NotPermitted
from tests.conftest import bearer_client
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_manager(db):
    """Staff who may view and change users, and nothing more."""
    return StaffFactory(permissions=["accounts.view_user", "accounts.change_user"])


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def test_staff_with_change_user_may_not_grant_staff_rights(user_manager):
    customer = UserFactory()
    client = bearer_client(user_manager)

    response = client.patch(f"/api/v1/users/{customer.pk}/", {"is_staff": True}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    customer.refresh_from_db()
    assert not customer.is_staff
    # Names and switching a customer off are theirs to change.
    response = client.patch(
        f"/api/v1/users/{customer.pk}/", {"first_name": "Ada", "is_active": False}, format="json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.is_active) == ("Ada", False)


def test_staff_may_not_edit_a_superuser_or_switch_off_staff(user_manager, superuser):
    colleague = StaffFactory(permissions=[])
    client = bearer_client(user_manager)

    assert (
        client.patch(f"/api/v1/users/{superuser.pk}/", {"first_name": "X"}, format="json")
    ).status_code == 403
    assert client.delete(f"/api/v1/users/{superuser.pk}/").status_code == 403
    assert (
        client.patch(f"/api/v1/users/{colleague.pk}/", {"is_active": False}, format="json")
    ).status_code == 403
    assert client.delete(f"/api/v1/users/{colleague.pk}/").status_code == 403
    superuser.refresh_from_db()
    colleague.refresh_from_db()
    assert superuser.first_name != "X" and superuser.is_active and colleague.is_active


def test_a_superuser_may_change_privileges(superuser):
    customer = UserFactory()
    client = bearer_client(superuser)

    response = client.patch(f"/api/v1/users/{customer.pk}/", {"is_staff": True}, format="json")

    assert response.status_code == 200 and response.json()["is_staff"] is True
    assert client.delete(f"/api/v1/users/{customer.pk}/").status_code == 204
    customer.refresh_from_db()
    assert customer.is_staff and not customer.is_active


def test_the_service_enforces_the_rule_for_every_face(user_manager):
    customer = UserFactory()
    with pytest.raises(NotPermitted):
        services.user_update_by_staff(user=customer, data={"is_staff": True}, by=user_manager)
    # A trusted caller (a command) is not asked.
    services.user_update_by_staff(user=customer, data={"is_staff": True}, by=None)
    customer.refresh_from_db()
    assert customer.is_staff


def test_staff_without_permissions_hold_no_staff_power():
    nobody = StaffFactory(permissions=[])
    assert not policies.staff_may(nobody, "accounts.view_user")
    assert not policies.may_view_users(nobody)
    assert policies.staff_may(StaffFactory(), "accounts.view_user", "orders.change_order")
    assert not policies.staff_may(UserFactory(), "accounts.view_user")  # not staff
    inactive = StaffFactory(is_active=False)
    assert not policies.staff_may(inactive, "accounts.view_user")


def test_the_admin_keeps_privilege_fields_for_superusers(client, user_manager, superuser):
    customer = UserFactory()
    client.force_login(user_manager)

    page = client.get(reverse("admin:accounts_user_change", args=[customer.pk]))
    assert page.status_code == 200
    form_fields = page.context["adminform"].form.fields
    assert "is_staff" not in form_fields and "is_superuser" not in form_fields
    assert "user_permissions" not in form_fields and "groups" not in form_fields

    # A superuser's account is read-only for them (view, no change).
    page = client.get(reverse("admin:accounts_user_change", args=[superuser.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(
        reverse("admin:accounts_user_change", args=[superuser.pk]),
        {"email": superuser.email, "first_name": "Mallory"},
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.first_name != "Mallory"


def test_only_a_superuser_touches_staff_accounts_in_the_admin(client, user_manager, superuser):
    colleague = StaffFactory(permissions=[])
    manager = StaffFactory(
        permissions=["accounts.view_user", "accounts.change_user", "accounts.delete_user"]
    )
    client.force_login(manager)
    # Not a colleague's password, not a superuser's deletion.
    response = client.post(
        reverse("admin:auth_user_password_change", args=[colleague.pk]),
        {"password1": "An0ther-long-pass!", "password2": "An0ther-long-pass!"},
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:accounts_user_delete", args=[superuser.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    colleague.refresh_from_db()
    assert colleague.check_password("correct-horse-battery-staple")
    assert type(superuser).objects.filter(pk=superuser.pk).exists()
    # A customer's account is theirs to delete.
    customer = UserFactory()
    client.post(reverse("admin:accounts_user_delete", args=[customer.pk]), {"post": "yes"})
    assert not type(customer).objects.filter(pk=customer.pk).exists()


def test_cancelling_a_paid_order_needs_the_refund_permission_too():
    from cart.services import cart_add_item, cart_get_for_user
    from orders.models import OrderStatus
    from orders.services import order_place
    from payments import services as payment_services
    from tests.factories import ProductFactory, address_data, verify_email

    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(), quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    payment, _ = payment_services.payment_create(user=buyer, order=order)
    payment_services.payment_confirm(payment=payment, payment_method="pm_card_visa")
    clerk = bearer_client(StaffFactory(permissions=["orders.view_order", "orders.change_order"]))

    response = clerk.delete(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    cashier = bearer_client(
        StaffFactory(
            permissions=["orders.view_order", "orders.change_order", "payments.add_refund"]
        )
    )
    assert cashier.delete(f"/api/v1/orders/{order.pk}/").status_code == 200
