"""The notification centre (issue 21, first part): what the domain's services tell
people after commit, their preferences, the API and the header's bell and page."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notify
from orders.services import order_cancel, order_fulfil, order_mark_paid
from tests.conftest import bearer_client
from tests.factories import ProductFactory, UserFactory, verify_email
from tests.notifications.conftest import placed

pytestmark = pytest.mark.django_db


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_paying_tells_the_buyer_and_the_shops_members(
    shop_and_seller, django_capture_on_commit_callbacks
):
    shop, seller = shop_and_seller
    buyer = verify_email(UserFactory())
    order = placed(buyer, shop)

    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order=order)

    assert titles(buyer) == [f"Payment received for order {order.number}"]
    mine = Notification.objects.get(recipient=buyer)
    assert mine.link == reverse("orders:detail", args=[order.pk]) and mine.read_at is None
    assert titles(seller) == [f"New order {order.number}"]
    assert order.number in Notification.objects.get(recipient=seller).link


def test_sending_and_cancelling_tell_the_buyer_unless_they_said_no(
    shop_and_seller, django_capture_on_commit_callbacks
):
    shop, _seller = shop_and_seller
    buyer = verify_email(UserFactory())
    quiet = verify_email(UserFactory(order_updates=False))
    sent, cancelled = placed(buyer, shop), placed(quiet, shop)

    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order=sent)
        order_fulfil(
            order=sent,
            shop_id=shop.pk,
            by=None,
            carrier="DHL",
            tracking_url="https://track.example/1",
        )
        order_cancel(order=cancelled, by=quiet)

    assert f"Lumen Lamps sent items of order {sent.number} with DHL" in titles(buyer)
    sent_note = Notification.objects.get(recipient=buyer, kind="order_sent")
    assert sent_note.body == "Track them: https://track.example/1"
    assert titles(quiet) == []  # no "order updates": neither mails nor notifications


def test_nothing_is_told_of_what_was_rolled_back():
    buyer = verify_email(UserFactory())

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(user_ids=[buyer.pk], kind="order_status", title="Never")
        raise RuntimeError("rolled back")

    assert not Notification.objects.exists()


def test_a_failed_payment_tells_the_buyer(shop_and_seller, django_capture_on_commit_callbacks):
    shop, _seller = shop_and_seller
    buyer = verify_email(UserFactory())
    api = bearer_client(buyer)
    order = placed(buyer, shop)
    payment = api.post("/api/v1/payments/create/", {"order_id": str(order.pk)}, format="json")

    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/payments/confirm/",
            {"payment_id": payment.json()["id"], "payment_method": "pm_card_chargeDeclined"},
            format="json",
        )

    assert titles(buyer) == [f"Your payment for order {order.number} did not go through"]


def test_returns_tell_the_shop_then_the_buyer(shop_and_seller, django_capture_on_commit_callbacks):
    from orders.services import order_set_status
    from returns.services import return_approve, return_request

    shop, seller = shop_and_seller
    buyer = verify_email(UserFactory())
    order = placed(buyer, shop)
    order_mark_paid(order=order)
    order_fulfil(order=order, shop_id=shop.pk, by=None)
    order_set_status(order=order, status="delivered", by=None)
    line = order.lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        request = return_request(
            order=order, user=buyer, lines=[{"line_id": line.pk, "quantity": 1}], reason="Dim"
        )
        return_approve(request=request, by=seller, instructions="Post it back.")

    assert f"Return requested for order {order.number}" in titles(seller)
    approved = Notification.objects.get(recipient=buyer, kind="return_update")
    assert approved.title == f"Your return for order {order.number}: approved"
    assert approved.body == "Post it back."


def test_the_api_lists_reads_one_and_reads_all():
    buyer, other = verify_email(UserFactory()), verify_email(UserFactory())
    first = Notification.objects.create(recipient=buyer, kind="order_status", title="First")
    Notification.objects.create(recipient=buyer, kind="order_status", title="Second")
    theirs = Notification.objects.create(recipient=other, kind="order_status", title="Theirs")
    api = bearer_client(buyer)

    listed = api.get("/api/v1/notifications/").json()
    assert [n["title"] for n in listed["results"]] == ["Second", "First"]
    read = api.post(f"/api/v1/notifications/{first.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    unread = api.get("/api/v1/notifications/?unread=true").json()
    assert [n["title"] for n in unread["results"]] == ["Second"]
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Client().get("/api/v1/notifications/").status_code == 401


def test_the_bell_counts_and_the_page_opens_and_reads():
    buyer = verify_email(UserFactory())
    note = Notification.objects.create(
        recipient=buyer, kind="order_status", title="Your order is on its way", link="/orders/"
    )
    Notification.objects.create(recipient=buyer, kind="order_status", title="Another")
    Notification.objects.create(
        recipient=buyer, kind="order_status", title="Elsewhere", link="https://evil.example/"
    )
    client = Client()
    client.force_login(buyer)

    home = client.get("/").content.decode()
    assert 'aria-label="Notifications, 3 unread"' in home
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Your order is on its way" in page and "Another" in page
    opened = client.post(reverse("notifications:open", args=[note.pk]))
    assert opened.status_code == 302 and opened.url == "/orders/"
    elsewhere = Notification.objects.get(title="Elsewhere")
    assert client.post(reverse("notifications:open", args=[elsewhere.pk])).url == "/notifications/"
    assert 'aria-label="Notifications, 1 unread"' in client.get("/").content.decode()
    client.post(reverse("notifications:read_all"))
    assert 'aria-label="Notifications"' in client.get("/").content.decode()


def test_a_lower_price_tells_who_saved_it_if_they_want_offers(django_capture_on_commit_callbacks):
    from cart.services import wishlist_add
    from catalog.services.variants import variant_update

    lamp = ProductFactory(name="Desk Lamp", price="50.00")
    keen = verify_email(UserFactory(marketing_emails=True))
    shy = verify_email(UserFactory(marketing_emails=False))
    for person in (keen, shy):
        wishlist_add(user=person, product=lamp, variant=None)

    with django_capture_on_commit_callbacks(execute=True):
        variant_update(user=None, variant=lamp.variants.get(), data={"price": "60.00"})
    assert titles(keen) == []  # a rise tells nobody
    with django_capture_on_commit_callbacks(execute=True):
        variant_update(user=None, variant=lamp.variants.get(), data={"price": "39.00"})

    assert titles(keen) == ["Price drop: Desk Lamp now 39.00 USD"]
    assert Notification.objects.get(recipient=keen).link == "/products/" + lamp.slug + "/"
    assert titles(shy) == []


def test_low_stock_tells_the_shops_members(shop_and_seller, django_capture_on_commit_callbacks):
    from catalog.services.stock import variants_low_stock_check

    shop, seller = shop_and_seller
    product = ProductFactory(shop=shop, stock_quantity=1)

    with django_capture_on_commit_callbacks(execute=True):
        variants_low_stock_check(variant_ids=[product.variants.get().pk])

    assert titles(seller) == ["1 item of your shop running low"]


def test_a_failing_webhook_tells_the_staff_who_see_payments_once(
    django_capture_on_commit_callbacks,
):
    from unittest import mock

    from payments.models import WebhookEvent
    from payments.services import webhook_process
    from tests.factories import StaffFactory

    watcher = StaffFactory(permissions=["payments.view_payment"])
    other = StaffFactory(permissions=[])
    event = WebhookEvent.objects.create(
        provider="stripe", event_id="evt_broken", type="payment_intent.succeeded", payload={}
    )

    def failing(provider, data):
        raise RuntimeError("the database went away")

    failing_handlers = {"payment_intent.succeeded": failing}
    with mock.patch.dict("payments.services.webhooks.HANDLERS", failing_handlers):
        for _ in range(2):  # the worker's retry fails again: told once
            with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
                webhook_process(event_pk=event.pk)

    assert titles(watcher) == ["A stripe webhook failed: payment_intent.succeeded"]
    assert Notification.objects.get(recipient=watcher).body == (
        "RuntimeError: the database went away"
    )
    assert titles(other) == []
