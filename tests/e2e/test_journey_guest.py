"""A guest's whole purchase in a real browser (issue 19): buy without an account, open
the order from the mailed link in another browser, download the invoice PDF and read
it, ask to return one line; the seller approves and receives it in the admin; the
guest sees the refund and the credit note."""

import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e._admin_helpers import admin_sign_in
from tests.e2e.a11y import assert_accessible
from tests.factories import ProductFactory, ShopFactory, UserFactory, verify_email

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def downloaded_text(page, link) -> str:
    """Click a document's link and read the PDF it downloads."""
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as pdf:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)


def a_lamp_shop():
    shop = ShopFactory(name="Lumen Lamps", slug="lumen")  # documents: LUMEN-...
    seller = verify_email(UserFactory(email="sam@lumen.example"))
    shop.memberships.create(user=seller, role="owner")
    shop.return_instructions = "Post it to Lumen Lamps, 1 Light Street, Leeds."
    shop.save()
    ProductFactory(shop=shop, name="Desk Lamp", slug="desk-lamp", price="40.00", stock_quantity=5)
    ProductFactory(shop=shop, name="Bulb", slug="bulb", price="5.00", stock_quantity=20)
    return shop, seller


def deliver(order, shop) -> None:
    """The shop sends the parcel and the carrier delivers it (tested in their own
    journeys: tests/e2e/test_journey_shipping.py)."""
    from orders.services import order_fulfil, order_set_status

    order_fulfil(order=order, shop_id=shop.pk, by=None, carrier="DHL", tracking_number="JD0001")
    order_set_status(order=order, status="delivered", by=None)


def test_a_guest_buys_follows_the_mailed_link_and_returns_a_line(live_server, browser, shot):
    from orders.models import Order
    from returns.models import ReturnRequest

    shop, seller = a_lamp_shop()
    guest = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = guest.new_page()
    page.set_default_timeout(15_000)

    # --- Buy without an account ---------------------------------------------------------
    for slug in ("desk-lamp", "bulb"):
        page.goto(f"{live_server.url}/products/{slug}/")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    page.get_by_role("textbox", name="Email").fill("mia@example.com")
    shipping = page.locator("section.checkout-address").first
    shipping.get_by_label("Full name").fill("Mia Wallace")
    shipping.get_by_label("Address line 1").fill("5 Elm Row")
    shipping.get_by_label("City").fill("Leeds")
    shipping.get_by_label("Postal code").fill("LS1 4AP")
    shipping.get_by_label("Country").select_option(label="United Kingdom")
    # Choosing the country draws its delivery options (the page reloads with the input).
    expect(page.get_by_role("heading", name="Delivery to United Kingdom")).to_be_visible()
    assert_accessible(page)
    shot(page, "guest-checkout")
    page.get_by_role("button", name="Place order").click()
    order = Order.objects.get(email="mia@example.com")
    assert order.user is None
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_text("You bought as a guest")).to_be_visible()
    page.get_by_role("link", name=re.compile("Pay now")).click()
    page.get_by_label("Card", exact=True).select_option(label="Mastercard ending 4444 (succeeds)")
    page.get_by_role("button", name=re.compile(r"^Pay .*45\.00")).click()
    expect(
        page.get_by_role("heading", level=1, name="Thank you — payment received")
    ).to_be_visible()
    guest.close()

    # --- The mailed link, in another browser ----------------------------------------------
    confirmation = next(m for m in mail.outbox if m.subject == f"Order {order.number} confirmed")
    assert confirmation.to == ["mia@example.com"]
    path = re.search(r"https?://[^/\s]+(/orders/link/\S+/)", confirmation.body).group(1)
    later = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = later.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    invoice_link = page.get_by_role("region", name="Invoices").get_by_role(
        "link", name=re.compile(r"^Invoice LUMEN-\d{4}-000001")
    )
    expect(invoice_link).to_be_visible()
    text = downloaded_text(page, invoice_link)
    number = re.search(r"LUMEN-\d{4}-000001", text).group(0)
    for expected in (number, "Desk Lamp", "Bulb", "40.00", "5.00", "45.00", "Mia Wallace"):
        assert expected in text, f"{expected!r} not in the invoice:\n{text}"
    shot(page, "guest-order-from-link")

    # --- Delivered: ask to return the lamp -------------------------------------------------
    deliver(order, shop)
    page.reload()
    returns = page.get_by_role("region", name="Returns")
    returns.get_by_label(re.compile(r"^Desk Lamp")).fill("1")
    returns.get_by_label("Why are you returning them?").fill("Too bright for my desk.")
    assert_accessible(page)
    returns.get_by_role("button", name="Request a return").click()
    expect(page.get_by_text("Your return is requested")).to_be_visible()
    request = ReturnRequest.objects.get(order=order)
    assert request.user is None and request.status == "requested"

    # --- The seller approves and receives it in the admin ----------------------------------
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    admin = desk.new_page()
    admin.set_default_timeout(15_000)
    admin_sign_in(admin, live_server.url, seller.email)
    admin.goto(f"{live_server.url}/admin/returns/returnrequest/")

    def run_action(label: str) -> None:
        row = admin.get_by_role("row").filter(has_text=order.number)
        row.get_by_role("checkbox").check()
        admin.get_by_role("combobox", name=re.compile("^Action")).select_option(label=label)
        admin.get_by_role("button", name="Go").click()
        expect(admin.locator(".messagelist")).to_be_visible()

    run_action("Approve the selected returns (the shop's instructions are sent)")
    run_action("Mark received, back to stock, and refund")
    shot(admin, "seller-returns")
    desk.close()
    request.refresh_from_db()
    assert request.status == "refunded" and request.refund_amount == Decimal("40.00")

    # --- The guest sees the refund and the credit note -------------------------------------
    page.reload()
    expect(page.get_by_role("region", name="Returns")).to_contain_text("Refunded")
    expect(page.get_by_text("Post it to Lumen Lamps, 1 Light Street, Leeds.")).to_be_visible()
    expect(page.locator("dl.totals").first).to_contain_text("40.00")
    credit_link = page.get_by_role("region", name="Invoices").get_by_role(
        "link", name=re.compile(r"^Credit note LUMEN-CN-\d{4}-000001")
    )
    expect(credit_link).to_be_visible()
    credit = downloaded_text(page, credit_link)
    assert "Returned: 1 x Desk Lamp" in credit and "40.00" in credit and number in credit
    shot(page, "guest-refund-and-credit-note")
    later.close()
