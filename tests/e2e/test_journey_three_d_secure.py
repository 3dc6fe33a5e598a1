"""3-D Secure in a real browser (issue 20), with the Stripe provider against localstripe,
as far as the local fake allows: a saved card that needs authentication leaves the pay
page asking the shopper to confirm with their bank; the challenge is answered at the
fake (its `_authenticate` endpoint stands for the bank's page, which Stripe.js would
open and which cannot load here, offline), Stripe's webhook arrives, and the shopper
lands on "payment received", or, for a challenge failed, on the page that explains it
and offers to try again."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.e2e._shopper_helpers import buy_and_open_pay_page, signed_in_shopper_in_germany
from tests.factories import ProductFactory
from tests.payments.conftest import post_webhook, signed
from tests.payments.test_three_d_secure import CARD_3DS, challenge
from tests.payments.test_webhooks import stripe_event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def a_saved_card_needing_authentication(stripe_fake, user):
    from payments.models import SavedPaymentMethod

    return SavedPaymentMethod.objects.create(
        user=user,
        provider="stripe",
        provider_method_id=stripe_fake.card(CARD_3DS),
        brand="visa",
        last4="3184",
        exp_month=12,
        exp_year=2034,
    )


@pytest.mark.parametrize("passed", [True, False], ids=["challenge-passed", "challenge-failed"])
def test_a_card_asking_for_authentication(
    live_server, browser, stripe_fake, passed, shot, settings
):
    from accounts.models import User
    from payments.models import Payment

    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"  # the page in Stripe's mode
    ProductFactory(name="Desk Lamp", slug="desk-lamp", price="40.00")
    page = signed_in_shopper_in_germany(
        browser, live_server, email="ines@example.com", name="Inès Berg"
    )
    a_saved_card_needing_authentication(stripe_fake, User.objects.get(email="ines@example.com"))
    order = buy_and_open_pay_page(page, live_server, "desk-lamp")

    page.locator("summary", has_text="Pay with a saved card").click()
    page.get_by_role("button", name=re.compile(r"with this card$")).click()
    # The bank wants the shopper: the page hands over to Stripe.js (offline here).
    expect(page.get_by_text("Your bank asks you to confirm this payment.")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm with your bank")).to_be_visible()
    shot(page, "bank-asks")
    payment = Payment.objects.get(order=order, status="requires_action")

    intent = challenge(stripe_fake, payment, passed=passed)
    if passed:
        event = stripe_event("payment_intent.succeeded", intent)
    else:
        intent["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "message": "We are unable to authenticate your payment method.",
        }
        event = stripe_event("payment_intent.payment_failed", intent)
    assert post_webhook(Client(), *signed(event)).status_code == 200

    # Stripe.js would now send the shopper to the return address: the "paid" page.
    page.goto(f"{live_server.url}/orders/{order.pk}/paid/?payment={payment.pk}")
    if passed:
        expect(
            page.get_by_role("heading", level=1, name="Thank you — payment received")
        ).to_be_visible()
        order.refresh_from_db()
        assert order.status == "paid"
    else:
        expect(page.get_by_role("heading", level=1, name="Payment failed")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Try again"))).to_be_visible()
        order.refresh_from_db()
        assert order.status == "pending"
    shot(page, "after-the-challenge")
    page.context.close()
