"""Invoices and credit notes: one invoice per shop when an order is paid, numbered per
shop without gaps even from two workers at once, a credit note per shop for a refund,
PDFs whose text says what the order says, and who may read them."""

import io
import threading
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from invoices.models import Invoice
from invoices.services import credit_notes_issue, invoices_issue
from orders.models import Order, OrderLine, OrderStatus, Shipment
from orders.services import order_mark_paid
from tests.conftest import bearer_client
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
)
from tests.orders.test_api_orders import checkout, fill_cart, shopper

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def two_shop_order(django_capture_on_commit_callbacks):
    """A paid order with a lamp from Lumen Lamps and two mugs from Clay Works."""
    lamps = ShopFactory(name="Lumen Lamps", slug="lumen-lamps", address="1 Light Street")
    mugs = ShopFactory(name="Clay Works", slug="clay-works")
    lamp = ProductFactory(shop=lamps, name="Desk Lamp", price="40.00", stock_quantity=5)
    mug = ProductFactory(shop=mugs, name="Blue Mug", price="7.50", stock_quantity=5)
    user, client = shopper()
    fill_cart(client, lamp)
    fill_cart(client, mug, quantity=2)
    order = Order.objects.get(pk=checkout(client).json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order=order)
    return {"order": order, "user": user, "client": client, "lamps": lamps, "mugs": mugs}


def test_a_paid_order_gets_an_invoice_per_shop_with_its_pdf_mailed(two_shop_order):
    order = two_shop_order["order"]
    invoices = {invoice.shop.name: invoice for invoice in Invoice.objects.filter(order=order)}

    assert sorted(invoices) == ["Clay Works", "Lumen Lamps"]
    lamp_invoice = invoices["Lumen Lamps"]
    assert lamp_invoice.number.startswith("LUMEN-LAMPS-")
    assert lamp_invoice.number.endswith("-000001")
    assert lamp_invoice.total == D("40.00") and invoices["Clay Works"].total == D("15.00")
    text = pdf_text(lamp_invoice.pdf.read())
    assert lamp_invoice.number in text
    assert "Desk Lamp" in text and "40.00" in text and "1 Light Street" in text
    assert order.number in text and "Ada Lovelace" in text
    sent = [m for m in mail.outbox if lamp_invoice.number in m.subject]
    assert len(sent) == 1
    (name, content, mimetype) = sent[0].attachments[0]
    assert name == f"{lamp_invoice.number}.pdf" and mimetype == "application/pdf"
    assert lamp_invoice.number in pdf_text(content)
    # Issuing again writes nothing.
    assert invoices_issue(order_id=order.pk) == []


def test_a_refund_gets_a_credit_note_per_shop(two_shop_order, django_capture_on_commit_callbacks):
    from payments.services import payment_confirm, payment_create, payment_refund

    Order.objects.filter(pk=two_shop_order["order"].pk).update(status=OrderStatus.PENDING)
    order = Order.objects.get(pk=two_shop_order["order"].pk)  # as payment_create wants it
    payment, _ = payment_create(user=order.user, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment, payment_method="pm_card_visa")
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, amount=D("11.00"), by=None)

    notes = {n.shop.name: n for n in Invoice.objects.filter(order=order, kind="credit_note")}
    # 11.00 over 40.00 : 15.00 -> 8.00 and 3.00
    assert {name: note.total for name, note in notes.items()} == {
        "Lumen Lamps": D("8.00"),
        "Clay Works": D("3.00"),
    }
    lamp_note = notes["Lumen Lamps"]
    assert "-CN-" in lamp_note.number and lamp_note.credits.shop == lamp_note.shop
    text = pdf_text(lamp_note.pdf.read())
    assert "Credit note" in text and lamp_note.credits.number in text and "8.00" in text
    # The same refund is credited once.
    assert (
        credit_notes_issue(order_id=order.pk, amount=D("11.00"), refund_ref=lamp_note.refund_ref)
        == []
    )


def test_who_reads_an_orders_invoices(two_shop_order, client):
    order, buyer_api = two_shop_order["order"], two_shop_order["client"]
    member = MembershipFactory(shop=two_shop_order["mugs"]).user
    stranger = bearer_client(UserFactory())

    listed = buyer_api.get(f"/api/v1/orders/{order.pk}/invoices/").json()
    assert sorted(i["shop"]["name"] for i in listed) == ["Clay Works", "Lumen Lamps"]
    pdf = buyer_api.get(listed[0]["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert listed[0]["number"] in pdf_text(b"".join(pdf.streaming_content))

    theirs = bearer_client(member).get(f"/api/v1/orders/{order.pk}/invoices/").json()
    assert [i["shop"]["name"] for i in theirs] == ["Clay Works"]
    assert stranger.get(f"/api/v1/orders/{order.pk}/invoices/").status_code == 404
    lamp_invoice = Invoice.objects.get(order=order, shop=two_shop_order["lamps"])
    assert stranger.get(f"/api/v1/invoices/{lamp_invoice.pk}/pdf/").status_code == 404

    client.force_login(two_shop_order["user"])
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert lamp_invoice.number in page
    download = client.get(reverse("invoices:pdf", args=[lamp_invoice.pk]))
    assert download.status_code == 200
    client.force_login(member)
    assert client.get(reverse("invoices:pdf", args=[lamp_invoice.pk])).status_code == 404


def test_the_admin_lists_a_sellers_invoices_only(two_shop_order, client):
    member = MembershipFactory(shop=two_shop_order["mugs"], role="owner").user
    client.force_login(member)

    page = client.get(reverse("admin:invoices_invoice_changelist"))

    assert page.status_code == 200
    assert [i.shop.name for i in page.context["cl"].result_list] == ["Clay Works"]


# --- Numbers from two workers at once (PostgreSQL, real threads) ---------------------------


def _paid_orders(count: int, shops) -> list[Order]:
    buyer = UserFactory()
    products = [ProductFactory(shop=shop, price="10.00") for shop in shops]
    orders = Order.objects.bulk_create(
        Order(
            user=buyer,
            number=f"T{index:06d}",
            status=OrderStatus.PAID,
            subtotal=D("20.00"),
            total=D("20.00"),
            shipping_address=address_data(),
        )
        for index in range(count)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=product,
            variant=product.variants.get(),
            shop=product.shop,
            product_name=product.name,
            sku=product.variants.get().sku,
            shop_name=product.shop.name,
            unit_price=D("10.00"),
            quantity=1,
            line_total=D("10.00"),
        )
        for order in orders
        for product in products
    )
    Shipment.objects.bulk_create(
        Shipment(
            order=order,
            shop=shop,
            shop_name=shop.name,
            method_name="Post",
            method_kind="flat",
            price=D("0.00"),
            min_days=1,
            max_days=2,
        )
        for order in orders
        for shop in shops
    )
    return orders


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_200_orders_invoiced_by_two_workers_at_once_are_numbered_without_gaps():
    shops = [ShopFactory(name="North"), ShopFactory(name="South")]
    orders = _paid_orders(200, shops)
    errors, barrier = [], threading.Barrier(2)

    def worker(order_ids):
        try:
            barrier.wait(timeout=30)
            for order_id in order_ids:
                invoices_issue(order_id=order_id)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    ids = [order.pk for order in orders]
    # Both workers go through every order, in opposite orders: each order's invoices
    # are issued once, whoever gets there first.
    threads = [
        threading.Thread(target=worker, args=(ids,)),
        threading.Thread(target=worker, args=(list(reversed(ids)),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors[:3]
    for shop in shops:
        numbers = sorted(Invoice.objects.filter(shop=shop).values_list("sequence", flat=True))
        assert numbers == list(range(1, 201))
    assert Invoice.objects.count() == 400
    assert all(Invoice.objects.filter(order_id=order_id).count() == 2 for order_id in ids[::37])
