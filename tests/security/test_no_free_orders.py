"""No free orders in production (issue 14, point 5).

The dummy provider takes no money. It serves only when PAYMENTS_ALLOW_DUMMY is set (the
quickstart and the test suite set it); otherwise every payment through it is refused, on
the API and the pages, and `check --deploy` warns either way.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order, OrderStatus
from orders.services import order_place
from payments.models import Payment
from tests.config.test_settings import check_deploy, production_environment
from tests.conftest import bearer_client
from tests.factories import ProductFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_order(db):
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(), quantity=1)
    return order_place(user=buyer, cart=cart, shipping_address=address_data())


def test_without_the_explicit_setting_the_dummy_provider_takes_no_payment(settings, pending_order):
    settings.PAYMENT_PROVIDER = "dummy"
    settings.PAYMENTS_ALLOW_DUMMY = False
    client = bearer_client(pending_order.user)

    response = client.post(
        "/api/v1/payments/create/", {"order_id": str(pending_order.pk)}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "payments_not_configured"
    assert not Payment.objects.exists()
    pending_order.refresh_from_db()
    assert pending_order.status == OrderStatus.PENDING


def test_the_pay_page_says_so_instead_of_taking_a_pretend_payment(client, settings, pending_order):
    settings.PAYMENTS_ALLOW_DUMMY = False
    client.force_login(pending_order.user)

    response = client.get(reverse("payments:pay", args=[pending_order.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[pending_order.pk])
    assert any("not available" in str(message) for message in response.context["messages"])
    assert Order.objects.get(pk=pending_order.pk).status == OrderStatus.PENDING


def test_with_the_setting_the_dummy_provider_serves(settings, pending_order):
    settings.PAYMENTS_ALLOW_DUMMY = True
    client = bearer_client(pending_order.user)
    response = client.post(
        "/api/v1/payments/create/", {"order_id": str(pending_order.pk)}, format="json"
    )
    assert response.status_code == 201 and response.json()["provider"] == "dummy"


@pytest.mark.parametrize(
    ("allow", "warning"), [("false", "shop_payments.W002"), ("true", "shop_payments.W001")]
)
def test_check_deploy_warns_about_the_dummy_provider(allow, warning):
    result = check_deploy(production_environment(PAYMENTS_ALLOW_DUMMY=allow))
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr
