"""Sellers fulfil their own lines (issue 17): fulfilments with tracking, the order moving
paid -> partially_shipped -> shipped, the mail per fulfilment, and what is refused."""

import pytest

from cart.services import cart_add_item, cart_get_for_user
from orders.exceptions import (
    FulfilmentInvalid,
    InvalidStatusTransition,
    OrderLinesFulfilled,
    OrderPermissionDenied,
)
from orders.models import OrderStatus, Shipment
from orders.services import order_cancel, order_fulfil, order_mark_paid, order_place
from tests.conftest import bearer_client
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    """A paid order of a buyer with two lines from one shop and one from another."""
    buyer = verify_email(UserFactory())
    lamps, mugs = ShopFactory(name="Lamps"), ShopFactory(name="Mugs")
    desk, floor = ProductFactory(shop=lamps), ProductFactory(shop=lamps)
    mug = ProductFactory(shop=mugs)
    cart = cart_get_for_user(user=buyer)
    for product, quantity in ((desk, 2), (floor, 1), (mug, 3)):
        cart_add_item(cart=cart, product=product, quantity=quantity)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    order_mark_paid(order=order)
    lines = {line.product_id: line for line in order.lines.all()}
    return {
        "order": order,
        "buyer": buyer,
        "lamps": lamps,
        "mugs": mugs,
        "desk": lines[desk.pk],
        "floor": lines[floor.pk],
        "mug": lines[mug.pk],
        "lamps_member": MembershipFactory(shop=lamps).user,
        "mugs_member": MembershipFactory(shop=mugs).user,
    }


def status(order) -> str:
    order.refresh_from_db()
    return order.status


def test_each_shop_sends_its_part_and_the_order_follows(
    sale, mailoutbox, django_capture_on_commit_callbacks
):
    order = sale["order"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = order_fulfil(
            order=order,
            shop_id=sale["lamps"].pk,
            lines=[(sale["desk"].pk, 1)],
            carrier="DHL",
            tracking_number="JD0001",
            tracking_url="https://track.example/JD0001",
            by=sale["lamps_member"],
        )
    assert status(order) == OrderStatus.PARTIALLY_SHIPPED
    assert Shipment.objects.get(order=order, shop=sale["lamps"]).status == "partially_shipped"
    # The mail names what was sent and links the tracking page.
    [sent] = mailoutbox
    assert sent.to == [sale["buyer"].email] and "Lamps" in sent.subject
    assert "https://track.example/JD0001" in sent.body and "1 x" in sent.body

    # The rest of the lamps (left out: every unit not sent yet), then the mugs.
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfil(order=order, shop_id=sale["lamps"].pk, by=sale["lamps_member"])
    assert Shipment.objects.get(order=order, shop=sale["lamps"]).status == "shipped"
    assert status(order) == OrderStatus.PARTIALLY_SHIPPED
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfil(
            order=order, shop_id=sale["mugs"].pk, tracking_number="M1", by=sale["mugs_member"]
        )
    assert status(order) == OrderStatus.SHIPPED
    assert list(order.status_history.values_list("to_status", flat=True)) == [
        "pending",
        "paid",
        "partially_shipped",
        "shipped",
    ]
    assert first.lines.get().quantity == 1 and len(mailoutbox) == 3


def test_what_is_refused(sale):
    order = sale["order"]
    stranger = verify_email(UserFactory())
    with pytest.raises(OrderPermissionDenied):
        order_fulfil(order=order, shop_id=sale["lamps"].pk, by=stranger)
    with pytest.raises(OrderPermissionDenied):  # a member of the other shop
        order_fulfil(order=order, shop_id=sale["lamps"].pk, by=sale["mugs_member"])
    with pytest.raises(FulfilmentInvalid, match="not one of this shop"):
        order_fulfil(order=order, shop_id=sale["lamps"].pk, lines=[(sale["mug"].pk, 1)], by=None)
    with pytest.raises(FulfilmentInvalid, match="Only 2"):
        order_fulfil(order=order, shop_id=sale["lamps"].pk, lines=[(sale["desk"].pk, 3)], by=None)
    with pytest.raises(FulfilmentInvalid, match="no lines of that shop"):
        order_fulfil(order=order, shop_id=ShopFactory().pk, by=None)
    order_fulfil(order=order, shop_id=sale["lamps"].pk, by=None)
    with pytest.raises(FulfilmentInvalid, match="sent already"):
        order_fulfil(order=order, shop_id=sale["lamps"].pk, by=None)
    assert status(order) == OrderStatus.PARTIALLY_SHIPPED


def test_an_unpaid_order_is_not_fulfilled_and_a_sent_one_not_cancelled(sale):
    buyer = sale["buyer"]
    cart = cart_get_for_user(user=verify_email(UserFactory()))
    product = ProductFactory()
    cart_add_item(cart=cart, product=product, quantity=1)
    pending = order_place(user=cart.user, cart=cart, shipping_address=address_data())
    with pytest.raises(InvalidStatusTransition):
        order_fulfil(order=pending, shop_id=product.shop_id, by=None)

    order_fulfil(order=sale["order"], shop_id=sale["mugs"].pk, by=None)
    with pytest.raises(OrderLinesFulfilled) as refused:
        order_cancel(order=sale["order"], by=buyer)
    assert refused.value.code == "lines_fulfilled" and refused.value.status_code == 409
    with pytest.raises(OrderLinesFulfilled):
        order_cancel(order=sale["order"], by=StaffFactory(is_superuser=True))
    # Nor refunded in full (the admin's "Refund in full"): sent goods come back by return.
    from payments.services import order_refund_in_full

    with pytest.raises(OrderLinesFulfilled):
        order_refund_in_full(order_id=sale["order"].pk, by=StaffFactory(is_superuser=True))


def test_sellers_fulfil_over_the_api_and_see_their_shipment_only(sale):
    order = sale["order"]
    seller = bearer_client(sale["lamps_member"])
    response = seller.post(
        f"/api/v1/orders/{order.pk}/fulfilments/",
        {
            "lines": [{"line_id": sale["desk"].pk, "quantity": 2}],
            "carrier": "UPS",
            "tracking_number": "1Z999",
            "tracking_url": "https://ups.example/1Z999",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "partially_shipped" and body["scope"] == "shop"
    [shipment] = body["shipments"]  # the member sees their shop's shipment alone
    assert shipment["shop"]["name"] == "Lamps" and shipment["status"] == "partially_shipped"
    [fulfilment] = shipment["fulfilments"]
    assert fulfilment["tracking_url"] == "https://ups.example/1Z999"
    assert fulfilment["lines"] == [{"line_id": sale["desk"].pk, "quantity": 2}]

    # The buyer sees both shops' shipments.
    buyer = bearer_client(sale["buyer"]).get(f"/api/v1/orders/{order.pk}/").json()
    assert [s["status"] for s in buyer["shipments"]] == ["partially_shipped", "pending"]

    # Without lines, the caller's one shop in the order sends all it has left.
    rest = seller.post(f"/api/v1/orders/{order.pk}/fulfilments/", {}, format="json")
    assert rest.status_code == 201 and rest.json()["shipments"][0]["status"] == "shipped"


def test_the_fulfilment_api_answers_clear_errors(sale):
    order = sale["order"]
    url = f"/api/v1/orders/{order.pk}/fulfilments/"
    seller = bearer_client(sale["lamps_member"])
    too_many = seller.post(
        url, {"lines": [{"line_id": sale["desk"].pk, "quantity": 9}]}, format="json"
    )
    assert too_many.status_code == 400 and "lines" in too_many.json()["fields"]
    bad_url = seller.post(url, {"tracking_url": "not a url"}, format="json")
    assert bad_url.status_code == 400 and "tracking_url" in bad_url.json()["fields"]
    mixed = bearer_client(StaffFactory(is_superuser=True)).post(
        url,
        {
            "lines": [
                {"line_id": sale["desk"].pk, "quantity": 1},
                {"line_id": sale["mug"].pk, "quantity": 1},
            ]
        },
        format="json",
    )
    assert mixed.status_code == 400 and "lines" in mixed.json()["fields"]
    staff_unnamed = bearer_client(StaffFactory(is_superuser=True)).post(url, {}, format="json")
    assert staff_unnamed.status_code == 400 and "shop_id" in staff_unnamed.json()["fields"]
    # Someone who may not see the order at all: 404; a member of another shop: 403.
    assert (
        bearer_client(verify_email(UserFactory())).post(url, {}, format="json").status_code == 404
    )
    other = bearer_client(sale["mugs_member"]).post(
        url, {"shop_id": sale["lamps"].pk}, format="json"
    )
    assert other.status_code == 403
    assert status(order) == OrderStatus.PAID
    assert not Shipment.objects.filter(order=order).exclude(status="pending").exists()


def test_an_order_staff_marked_shipped_by_hand_counts_as_sent(sale):
    from orders.services import order_set_status

    order = sale["order"]
    staff = StaffFactory(is_superuser=True)
    order_set_status(order=order, status=OrderStatus.SHIPPED, by=staff)
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {"shipped"}
    with pytest.raises(OrderLinesFulfilled):
        order_cancel(order=order, by=staff)
    from payments.services import order_refund_in_full

    with pytest.raises(OrderLinesFulfilled):
        order_refund_in_full(order_id=order.pk, by=staff)


def test_the_admin_marks_a_sellers_lines_sent(sale, client, mailoutbox):
    from django.urls import reverse

    client.force_login(sale["lamps_member"])
    url = reverse("admin:orders_orderline_changelist")
    chosen = [sale["desk"].pk, sale["floor"].pk]
    form = client.post(url, {"action": "fulfil_lines", "_selected_action": chosen})
    assert form.status_code == 200 and b"Mark lines as sent" in form.content
    done = client.post(
        url,
        {
            "action": "fulfil_lines",
            "_selected_action": chosen,
            "apply": "1",
            "carrier": "UPS",
            "tracking_number": "1Z1",
            "tracking_url": "https://ups.example/1Z1",
        },
        follow=True,
    )
    assert b"Marked as sent" in done.content
    shipment = Shipment.objects.get(order=sale["order"], shop=sale["lamps"])
    assert shipment.status == "shipped"
    assert shipment.fulfilments.get().tracking_number == "1Z1"
    assert status(sale["order"]) == OrderStatus.PARTIALLY_SHIPPED
    # Again: nothing is left to send, and nothing breaks.
    again = client.post(
        url,
        {"action": "fulfil_lines", "_selected_action": chosen, "apply": "1"},
        follow=True,
    )
    assert b"sent already" in again.content
    # A bad tracking address is a form error, nothing is written.
    mug_member = sale["mugs_member"]
    client.force_login(mug_member)
    bad = client.post(
        url,
        {
            "action": "fulfil_lines",
            "_selected_action": [sale["mug"].pk],
            "apply": "1",
            "tracking_url": "not a url",
        },
    )
    assert bad.status_code == 200 and b"Enter a valid URL" in bad.content
    assert Shipment.objects.get(order=sale["order"], shop=sale["mugs"]).status == "pending"
