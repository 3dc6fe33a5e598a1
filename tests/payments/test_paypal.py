"""PayPal (issue 20) through PayPal's real server SDK against a local fake PayPal
(tests/payments/fake_paypal.py): create, approve, capture, a declined capture, capturing
twice, partial and full refunds, webhooks verified with PayPal (a bad signature, an
event replayed and sent ten times at once, an approval arriving before the shopper
comes back), and the shopper choosing between the card provider and PayPal."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatusChange
from payments import services
from payments.models import Payment, Refund, WebhookEvent
from tests.payments.conftest import deliver_at_once, place_order

pytestmark = pytest.mark.django_db


def create(api, order, **extra):
    return api.post(
        "/api/v1/payments/create/",
        {"order_id": order["id"], "provider": "paypal", **extra},
        format="json",
    )


def capture(api, payment):
    return api.post("/api/v1/payments/confirm/", {"payment_id": payment["id"]}, format="json")


def post_event(client, fake, event, *, headers=None):
    headers = fake.sign(event) if headers is None else headers
    return client.post(
        "/webhooks/paypal/",
        data=json.dumps(event),
        content_type="application/json",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    )


def paid_changes(order_id) -> int:
    return OrderStatusChange.objects.filter(order_id=order_id, to_status="paid").count()


def test_paypal_is_offered_only_when_configured(shopper, settings):
    _user, api = shopper
    assert api.get("/api/v1/payments/providers/").json() == {"providers": ["dummy"]}
    order = place_order(api)

    refused = create(api, order)

    assert refused.status_code == 400
    assert "provider" in refused.json()["fields"]


def test_create_approve_capture(shopper, fake_paypal):
    _user, api = shopper
    assert api.get("/api/v1/payments/providers/").json() == {"providers": ["dummy", "paypal"]}
    order = place_order(api, price="24.50", quantity=2)

    created = create(api, order)

    assert created.status_code == 201, created.json()
    payment = created.json()
    assert payment["provider"] == "paypal" and payment["status"] == "requires_action"
    paypal_order = Payment.objects.get(pk=payment["id"]).provider_payment_id
    assert payment["approve_url"] == f"{fake_paypal.base}/checkoutnow?token={paypal_order}"
    assert fake_paypal.orders[paypal_order].amount == "49.00"
    assert fake_paypal.orders[paypal_order].custom_id == order["id"]

    # Not approved yet: nothing failed, the payment waits for the payer.
    not_yet = capture(api, payment)
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "payment_not_approved"
    assert Payment.objects.get(pk=payment["id"]).status == "requires_action"

    fake_paypal.approve(paypal_order)  # the payer approves in PayPal's window
    captured = capture(api, payment)

    assert captured.status_code == 200, captured.json()
    assert captured.json()["status"] == "succeeded"
    stored = Payment.objects.get(pk=payment["id"])
    assert stored.provider_charge_id == fake_paypal.capture_id(stored.provider_payment_id)
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert fake_paypal.token_requests == 1  # one OAuth token, cached, for every call


def test_a_declined_capture_fails_the_payment_and_the_order_waits(shopper, fake_paypal):
    _user, api = shopper
    order = place_order(api)
    payment = create(api, order).json()
    fake_paypal.approve(Payment.objects.get(pk=payment["id"]).provider_payment_id)
    fake_paypal.decline = True

    declined = capture(api, payment)

    assert declined.status_code == 402
    assert declined.json()["decline_code"] == "instrument_declined"
    assert Payment.objects.get(pk=payment["id"]).status == "failed"
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_capturing_twice_takes_the_money_once(shopper, fake_paypal, client):
    user, api = shopper
    order = place_order(api)
    payment = create(api, order).json()
    paypal_order = Payment.objects.get(pk=payment["id"]).provider_payment_id
    fake_paypal.approve(paypal_order)

    # The provider asked twice with the same request id answers the first capture.
    from payments.providers import get_provider

    first = get_provider("paypal").confirm_intent(
        intent_id=paypal_order, payment_method="", save_for_customer=None
    )
    second = get_provider("paypal").confirm_intent(
        intent_id=paypal_order, payment_method="", save_for_customer=None
    )
    assert first.charge_id == second.charge_id and first.status == "succeeded"

    # The shopper comes back from PayPal twice: paid once.
    client.force_login(user)
    back = reverse("payments:paypal-return", args=[order["id"]]) + f"?token={paypal_order}"
    for _ in range(2):
        response = client.get(back)
        assert response.status_code == 302 and "/paid/" in response.url
    assert paid_changes(order["id"]) == 1
    captures = [call for call in fake_paypal.calls if call[1].endswith("/capture")]
    assert len(captures) == 3  # two by hand above, one by the first return; none after


def test_partial_then_full_refund_against_the_capture(shopper, fake_paypal):
    _user, api = shopper
    order = place_order(api, price="30.00", quantity=1)
    payment = create(api, order).json()
    fake_paypal.approve(Payment.objects.get(pk=payment["id"]).provider_payment_id)
    capture(api, payment)
    stored = Payment.objects.get(pk=payment["id"])

    partial = services.payment_refund(payment=stored, amount=Decimal("10.00"))
    assert partial.status == "succeeded"
    rest = services.payment_refund(payment=stored)
    assert rest.amount == Decimal("20.00") and rest.status == "succeeded"

    stored.refresh_from_db()
    assert stored.refunded_amount == Decimal("30.00")
    assert Order.objects.get(pk=order["id"]).status == "refunded"
    refunds = fake_paypal.orders[stored.provider_payment_id].refunds
    assert [r["amount"]["value"] for r in refunds] == ["10.00", "20.00"]
    assert {r.provider_refund_id for r in Refund.objects.all()} == {r["id"] for r in refunds}


def test_a_webhook_with_a_bad_signature_is_refused(fake_paypal, client):
    event = fake_paypal.event("PAYMENT.CAPTURE.COMPLETED", {"id": "NOPE"})
    headers = fake_paypal.sign(event)
    headers["PayPal-Transmission-Sig"] = "forged"

    refused = post_event(client, fake_paypal, event, headers=headers)
    missing = post_event(client, fake_paypal, event, headers={})

    assert refused.status_code == 400 and refused.json()["code"] == "invalid_signature"
    assert missing.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_an_approval_webhook_before_the_shopper_returns_pays_once(
    shopper, fake_paypal, client, django_capture_on_commit_callbacks
):
    user, api = shopper
    order = place_order(api)
    payment = create(api, order).json()
    paypal_order = Payment.objects.get(pk=payment["id"]).provider_payment_id
    fake_paypal.approve(paypal_order)
    approved = fake_paypal.event("CHECKOUT.ORDER.APPROVED", fake_paypal.order_json(paypal_order))

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, fake_paypal, approved).status_code == 200

    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
    assert WebhookEvent.objects.get().status == "processed"
    client.force_login(user)
    back = reverse("payments:paypal-return", args=[order["id"]]) + f"?token={paypal_order}"
    assert "/paid/" in client.get(back).url
    assert paid_changes(order["id"]) == 1
    # PayPal's capture event, sent ten times over: nothing more changes.
    completed = fake_paypal.event(
        "PAYMENT.CAPTURE.COMPLETED",
        fake_paypal.order_json(paypal_order)["purchase_units"][0]["payments"]["captures"][0],
    )
    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(client, fake_paypal, completed).status_code == 200
    assert WebhookEvent.objects.count() == 2
    assert paid_changes(order["id"]) == 1


def test_a_refund_made_at_paypal_is_counted_from_its_webhook(
    shopper, fake_paypal, client, django_capture_on_commit_callbacks
):
    _user, api = shopper
    order = place_order(api, price="30.00", quantity=1)
    payment = create(api, order).json()
    paypal_order = Payment.objects.get(pk=payment["id"]).provider_payment_id
    fake_paypal.approve(paypal_order)
    capture(api, payment)
    capture_id = fake_paypal.capture_id(paypal_order)
    refund = {
        "id": "REFUND-AT-PAYPAL",
        "status": "COMPLETED",
        "amount": {"currency_code": "USD", "value": "5.00"},
        "links": [{"rel": "up", "href": f"{fake_paypal.base}/v2/payments/captures/{capture_id}"}],
    }

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, fake_paypal, fake_paypal.event("PAYMENT.CAPTURE.REFUNDED", refund))

    assert Payment.objects.get(pk=payment["id"]).refunded_amount == Decimal("5.00")


def test_switching_provider_cancels_the_other_attempt(shopper, fake_paypal):
    _user, api = shopper
    order = place_order(api)
    card = api.post("/api/v1/payments/create/", {"order_id": order["id"]}, format="json").json()

    paypal = create(api, order).json()
    assert Payment.objects.get(pk=card["id"]).status == "canceled"
    back_to_card = api.post(
        "/api/v1/payments/create/", {"order_id": order["id"], "provider": "dummy"}, format="json"
    )

    assert back_to_card.status_code == 201
    assert Payment.objects.get(pk=paypal["id"]).status == "canceled"
    assert capture(api, paypal).status_code == 409  # the cancelled PayPal attempt pays nothing


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_one_event_sent_ten_times_at_once_changes_things_once(shopper, fake_paypal):
    _user, api = shopper
    order = place_order(api)
    payment = create(api, order).json()
    paypal_order = Payment.objects.get(pk=payment["id"]).provider_payment_id
    fake_paypal.approve(paypal_order)
    event = fake_paypal.event("CHECKOUT.ORDER.APPROVED", fake_paypal.order_json(paypal_order))

    answers = deliver_at_once(lambda client: post_event(client, fake_paypal, event))

    assert answers == [(200, False)] + [(200, True)] * 9
    assert WebhookEvent.objects.get().status == "processed"
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
    assert paid_changes(order["id"]) == 1


def test_staff_refund_a_paypal_payment_through_the_api_within_the_same_bounds(shopper, fake_paypal):
    from tests.conftest import bearer_client
    from tests.factories import StaffFactory

    _user, api = shopper
    order = place_order(api, price="30.00", quantity=1)
    payment = create(api, order).json()
    fake_paypal.approve(Payment.objects.get(pk=payment["id"]).provider_payment_id)
    capture(api, payment)
    staff = bearer_client(StaffFactory())

    part = staff.post(
        "/api/v1/payments/refund/",
        {"payment_id": payment["id"], "amount": "12.50"},
        format="json",
    )
    too_much = staff.post(
        "/api/v1/payments/refund/",
        {"payment_id": payment["id"], "amount": "20.00"},
        format="json",
    )

    assert part.status_code == 201 and part.json()["status"] == "succeeded"
    assert too_much.status_code == 400 and "amount" in too_much.json()["fields"]
    assert Payment.objects.get(pk=payment["id"]).refunded_amount == Decimal("12.50")


def test_the_pay_page_offers_paypal_only_when_it_is_set_up(shopper, client, settings):
    user, api = shopper
    order = place_order(api)
    client.force_login(user)
    pay = reverse("payments:pay", args=[order["id"]])

    assert "Pay with PayPal" not in client.get(pay).content.decode()
    settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = "id", "secret"
    assert "Pay with PayPal" not in client.get(pay).content.decode()  # no webhook: not yet
    settings.PAYPAL_WEBHOOK_ID = "WH-1"
    assert "Pay with PayPal" in client.get(pay).content.decode()


def test_money_taken_by_an_attempt_given_up_for_another_goes_back(
    shopper, fake_paypal, client, django_capture_on_commit_callbacks
):
    """PayPal captured, but its answer never reached the shop; the shopper paid by card
    instead. PayPal's capture event then arrives: that money is refunded, the order is
    paid once."""
    from payments.providers import get_provider

    _user, api = shopper
    order = place_order(api, price="30.00", quantity=1)
    payment = create(api, order).json()
    paypal_order = Payment.objects.get(pk=payment["id"]).provider_payment_id
    fake_paypal.approve(paypal_order)
    get_provider("paypal").confirm_intent(  # the capture whose answer was lost
        intent_id=paypal_order, payment_method="", save_for_customer=None
    )
    card = api.post(
        "/api/v1/payments/create/", {"order_id": order["id"], "provider": "dummy"}, format="json"
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/payments/confirm/",
            {"payment_id": card["id"], "payment_method": "pm_card_visa"},
            format="json",
        )
    captured = fake_paypal.order_json(paypal_order)["purchase_units"][0]["payments"]["captures"][0]

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, fake_paypal, fake_paypal.event("PAYMENT.CAPTURE.COMPLETED", captured))

    lost = Payment.objects.get(pk=payment["id"])
    assert lost.status == "succeeded" and lost.refunded_amount == Decimal("30.00")
    assert [r["amount"]["value"] for r in fake_paypal.orders[paypal_order].refunds] == ["30.00"]
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert paid_changes(order["id"]) == 1


def test_a_payment_on_its_way_cannot_be_replaced(shopper, fake_paypal):
    _user, api = shopper
    order = place_order(api)
    payment = create(api, order).json()
    Payment.objects.filter(pk=payment["id"]).update(status="processing")

    switched = api.post(
        "/api/v1/payments/create/", {"order_id": order["id"], "provider": "dummy"}, format="json"
    )

    assert switched.status_code == 409 and switched.json()["code"] == "order_not_payable"
    assert Payment.objects.get(pk=payment["id"]).status == "processing"
