"""Returns: asked by the buyer, decided and received by the shop, refunded to the cent
(worked out by hand with a discount code and German VAT), the units back in stock, the
shop's credit note; and every refusal with its reason."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import ProductVariant
from invoices.models import Invoice
from orders.models import Order, OrderStatusChange
from orders.services import order_set_status
from payments.services import payment_confirm, payment_create
from returns.models import ReturnRequest
from taxes.services import tax_rates_load_eu
from tests.conftest import bearer_client
from tests.factories import MembershipFactory, ProductFactory, UserFactory, address_data
from tests.orders.test_api_orders import fill_cart, shopper
from tests.promotions.helpers import code_promotion
from tests.promotions.test_arithmetic import _shop
from tests.promotions.test_vouchers import add_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Two lamps from shop A (40.00, 4.90 shipping) and a mug from shop B (10.00, 5.00
    shipping) to Germany (19%), with a 9.00 platform code, paid and delivered.

    The code: 9.00 over 80 : 10 -> 8.00 and 1.00. Lamps: 80 - 8 = 72.00, tax 13.68,
    paid 85.68. Mug: 9.00, tax 1.71, paid 10.71. Shipping A 4.90 + 0.93, B 5.00 + 0.95.
    Total 90.00 + 9.90 - 9.00 + 17.27 = 108.17."""
    tax_rates_load_eu()
    shop_a, shop_b = _shop("A shop", "4.90"), _shop("B shop", "5.00")
    lamp = ProductFactory(shop=shop_a, name="Lamp", price="40.00", stock_quantity=10)
    mug = ProductFactory(shop=shop_b, name="Mug", price="10.00", stock_quantity=10)
    user, client = shopper()
    fill_cart(client, lamp, quantity=2)
    fill_cart(client, mug)
    code_promotion("NINE", reward="fixed", value="9.00")
    assert add_code(client, "NINE").status_code == 200
    response = client.post(
        "/api/v1/cart/checkout/",
        {"shipping_address": address_data(country="DE", city="Berlin")},
        format="json",
    )
    order = Order.objects.get(pk=response.json()["id"])
    assert order.total == D("108.17")
    payment, _ = payment_create(user=user, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment, payment_method="pm_card_visa")
    for status in ("processing", "shipped", "delivered"):
        order_set_status(order=order, status=status, by=None)
    owner_a = MembershipFactory(shop=shop_a, role="owner").user
    return {
        "order": order,
        "user": user,
        "client": client,
        "lamp": lamp,
        "mug": mug,
        "shop_a": shop_a,
        "owner_a": bearer_client(owner_a),
        "lines": {line.product_id: line for line in order.lines.all()},
    }


def ask(world, product, quantity, reason="Too bright"):
    line = world["lines"][product.pk]
    return world["client"].post(
        f"/api/v1/orders/{world['order'].pk}/returns/",
        {"lines": [{"line_id": line.pk, "quantity": quantity}], "reason": reason},
        format="json",
    )


def test_two_returns_of_a_shops_lines_refund_to_the_cent(
    delivered, django_capture_on_commit_callbacks
):
    owner = delivered["owner_a"]
    lamp_variant = delivered["lamp"].variants.get()
    stock_before = ProductVariant.objects.get(pk=lamp_variant.pk).stock_quantity

    first = ask(delivered, delivered["lamp"], 1)
    assert first.status_code == 201, first.json()
    return_id = first.json()["id"]
    assert first.json()["status"] == "requested"
    approved = owner.post(f"/api/v1/returns/{return_id}/approve/", {}, format="json")
    assert approved.json()["status"] == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        received = owner.post(
            f"/api/v1/returns/{return_id}/receive/", {"resellable": True}, format="json"
        )
    body = received.json()
    # One lamp of two: 85.68 / 2 = 42.84; the shop's part is not all back: no shipping.
    assert (body["status"], body["refund_amount"]) == ("refunded", "42.84")
    assert [h["status"] for h in body["history"]] == [
        "requested",
        "approved",
        "received",
        "refunded",
    ]
    assert ProductVariant.objects.get(pk=lamp_variant.pk).stock_quantity == stock_before + 1
    note = Invoice.objects.get(order=delivered["order"], kind="credit_note")
    assert (note.shop, note.total) == (delivered["shop_a"], D("42.84"))

    second = ask(delivered, delivered["lamp"], 1, reason="The other one too")
    second_id = second.json()["id"]
    owner.post(f"/api/v1/returns/{second_id}/approve/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        done = owner.post(
            f"/api/v1/returns/{second_id}/receive/", {"resellable": False}, format="json"
        ).json()
    # The last lamp: 85.68 - 42.84 = 42.84, and shop A's whole part is back: its
    # shipping 4.90 + 0.93 = 5.83; 48.67.
    assert done["refund_amount"] == "48.67"
    assert ProductVariant.objects.get(pk=lamp_variant.pk).stock_quantity == stock_before + 1
    order = Order.objects.get(pk=delivered["order"].pk)
    assert order.refunded_total == D("91.51")
    notes = Invoice.objects.filter(order=order, kind="credit_note", shop=delivered["shop_a"])
    assert sorted(note.total for note in notes) == [D("42.84"), D("48.67")]
    assert any("refunded" in message.subject for message in mail.outbox)
    # Nothing of the lamps is left to return.
    again = ask(delivered, delivered["lamp"], 1)
    assert again.status_code == 400 and "lines.0.quantity" in again.json()["fields"]


def test_refusals_and_who_may_decide(delivered):
    owner = delivered["owner_a"]
    mine = ask(delivered, delivered["lamp"], 2).json()["id"]

    # The buyer sees it but may not decide; another shop's member and strangers do not
    # see it at all.
    assert delivered["client"].post(f"/api/v1/returns/{mine}/approve/").status_code == 403
    other_member = bearer_client(MembershipFactory(shop=delivered["mug"].shop).user)
    assert other_member.post(f"/api/v1/returns/{mine}/approve/").status_code == 404
    assert bearer_client(UserFactory()).get(f"/api/v1/returns/{mine}/").status_code == 404
    listed = delivered["client"].get("/api/v1/returns/").json()["results"]
    assert [item["id"] for item in listed] == [mine]

    refused = owner.post(
        f"/api/v1/returns/{mine}/refuse/", {"note": "Used lamps"}, format="json"
    ).json()
    assert (refused["status"], refused["instructions"]) == ("refused", "Used lamps")
    late = owner.post(f"/api/v1/returns/{mine}/receive/", {"resellable": True}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "invalid_status_transition"
    # A refused return gives the units back to ask again.
    assert ask(delivered, delivered["lamp"], 2).status_code == 201


def test_what_cannot_be_returned(delivered):
    client, order = delivered["client"], delivered["order"]
    lines = delivered["lines"]
    two_shops = client.post(
        f"/api/v1/orders/{order.pk}/returns/",
        {
            "lines": [
                {"line_id": lines[delivered["lamp"].pk].pk, "quantity": 1},
                {"line_id": lines[delivered["mug"].pk].pk, "quantity": 1},
            ],
            "reason": "Both",
        },
        format="json",
    )
    assert two_shops.status_code == 400 and "lines" in two_shops.json()["fields"]

    OrderStatusChange.objects.filter(order=order, to_status="delivered").update(
        at=timezone.now() - timedelta(days=31)
    )
    late = ask(delivered, delivered["lamp"], 1)
    assert late.status_code == 409 and late.json()["code"] == "return_not_allowed"
    assert "30 days" in late.json()["detail"]

    Order.objects.filter(pk=order.pk).update(status="shipped")
    assert ask(delivered, delivered["lamp"], 1).json()["code"] == "return_not_allowed"
    stranger = bearer_client(UserFactory())
    assert (
        stranger.post(f"/api/v1/orders/{order.pk}/returns/", {}, format="json").status_code == 404
    )


def test_the_order_page_asks_for_a_return(delivered, client):
    client.force_login(delivered["user"])
    order = delivered["order"]
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Request a return" in page
    line = delivered["lines"][delivered["mug"].pk]

    client.post(f"/returns/request/{order.pk}/", {f"line_{line.pk}": "1", "reason": "Chipped"})

    made = ReturnRequest.objects.get()
    assert (made.shop, made.reason, made.lines.get().quantity) == (
        delivered["mug"].shop,
        "Chipped",
        1,
    )
    assert "Requested" in client.get(f"/orders/{order.pk}/").content.decode()


def test_a_refund_the_provider_confirms_later_marks_the_return_refunded(delivered):
    from payments.models import Refund
    from returns.models import ReturnStatus
    from returns.services import return_approve

    made = ReturnRequest.objects.get(pk=ask(delivered, delivered["mug"], 1).json()["id"])
    return_approve(request=made, by=None)
    # As with Stripe: the goods are received while the refund is still pending.
    ReturnRequest.objects.filter(pk=made.pk).update(status=ReturnStatus.RECEIVED)
    refund = Refund.objects.create(
        payment=delivered["order"].payments.get(),
        amount=D("10.71"),
        currency="usd",
        status="pending",
    )
    ReturnRequest.objects.filter(pk=made.pk).update(refund_id=refund.pk, refund_amount=D("10.71"))

    from orders.services import order_record_refund

    order_record_refund(order=delivered["order"], amount=D("10.71"), ref=f"refund:{refund.pk}")
    order_record_refund(order=delivered["order"], amount=D("1.00"), ref="refund:not-a-uuid")

    made.refresh_from_db()
    assert made.status == ReturnStatus.REFUNDED
    assert [event.to_status for event in made.history.all()][-1] == "refunded"
