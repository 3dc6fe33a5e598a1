"""Paying with PayPal in a real browser (issue 20): the pay page offers PayPal beside
the card, PayPal's window is the local fake's page (tests/payments/fake_paypal.py), the
shopper approves there, comes back, and the order is paid."""

import pytest
from playwright.sync_api import expect

from tests.e2e._shopper_helpers import buy_and_open_pay_page, signed_in_shopper_in_germany
from tests.e2e.a11y import assert_accessible
from tests.factories import ProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_shopper_pays_with_paypal_in_its_window(live_server, browser, fake_paypal, shot):
    from payments.models import Payment

    ProductFactory(name="Desk Lamp", slug="desk-lamp", price="40.00")
    page = signed_in_shopper_in_germany(
        browser, live_server, email="ines@example.com", name="Inès Berg"
    )
    order = buy_and_open_pay_page(page, live_server, "desk-lamp")

    paypal = page.get_by_role("link", name="Pay with PayPal")
    expect(paypal).to_be_visible()
    assert_accessible(page)
    shot(page, "pay-page-with-paypal")
    paypal.click()

    # PayPal's window (the fake's page): approve.
    expect(page.get_by_role("heading", name="Pay with PayPal")).to_be_visible()
    expect(page.get_by_text("Pay 40.00 USD to the shop.")).to_be_visible()
    page.get_by_role("button", name="Approve and pay").click()

    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()
    shot(page, "paid-with-paypal")
    payment = Payment.objects.get(order=order, status="succeeded")
    assert payment.provider == "paypal" and payment.provider_charge_id
    order.refresh_from_db()
    assert order.status == "paid"
    # The card attempt the pay page had opened first was cancelled by the switch.
    assert Payment.objects.filter(order=order, provider="dummy", status="canceled").exists()
    page.context.close()
