"""The storefront in German (issue 22): a shopper switches the language in the footer and
reads the navigation and the prices the German way (1.234,56 €); a German-speaking
customer's order confirmation is mailed in German, whatever language their browser asks
for; the API answers errors in the language of Accept-Language.

The expected words come from the German catalogue itself (gettext with German active),
and each is checked to differ from the English, so the test shows the page translated
without copying the translations into it.
"""

import re

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from orders.models import Order
from tests.e2e._shopper_helpers import DEFAULT_PASSWORD
from tests.factories import ProductFactory, UserFactory, address_data, verify_email

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def german(text: str, context: str | None = None) -> str:
    """`text` as the German catalogue has it; it must be translated."""
    with translation.override("de"):
        translated = translation.pgettext(context, text) if context else translation.gettext(text)
    assert translated != text, f"{text!r} has no German translation"
    return translated


def plain(text: str) -> str:
    """Text with non-breaking and narrow spaces as plain spaces (CLDR puts them in prices)."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


@pytest.fixture
def euro_shop(settings):
    settings.DEFAULT_CURRENCY = "EUR"
    return ProductFactory(
        name="Espresso Machine", slug="espresso-machine", price="1234.56", currency="EUR"
    )


def test_a_shopper_switches_to_german_and_reads_the_shop_and_its_prices_in_german(
    live_server, page, euro_shop
):
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/products/espresso-machine/")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name=re.compile(r"^Cart\b"))).to_be_visible()
    assert "€1,234.56" in plain(page.locator("main").inner_text())

    footer = page.get_by_role("contentinfo")
    footer.get_by_label("Language").select_option("de")
    footer.get_by_role("button", name="Change").click()

    # The same page, now in German: navigation, buttons and the price.
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(header.get_by_role("link", name=re.compile(rf"^{german('Cart')}\b"))).to_be_visible()
    expect(footer.get_by_role("link", name=german("Products"))).to_be_visible()
    expect(page.get_by_role("button", name=german("Add to cart"))).to_be_visible()
    expect(page.locator("main")).to_contain_text(re.compile(r"1\.234,56[\u00a0 ]€"))
    assert "€1,234.56" not in plain(page.locator("main").inner_text())

    # It stays German from page to page (the language cookie), the listing included.
    page.goto(f"{live_server.url}/products/")
    expect(page.locator("main")).to_contain_text(re.compile(r"1\.234,56[\u00a0 ]€"))
    expect(footer.get_by_label(german("Language"))).to_have_value("de")

    # Back to English with the same switcher.
    footer.get_by_label(german("Language")).select_option("en")
    footer.get_by_role("button", name=german("Change", "language")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("€1,234.56")


def test_a_german_speaking_customer_orders_in_german_and_gets_a_german_confirmation(
    live_server, browser, euro_shop
):
    from accounts.services import address_create

    customer = verify_email(UserFactory(email="jonas@example.com", language="de"))
    address_create(
        user=customer,
        data={
            **address_data(full_name="Jonas Weber", city="Berlin", country="DE"),
            "is_default": True,
        },
    )
    # The browser asks for English: the person's own preference wins once signed in.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_contain_text(german("Sign out"))

    page.goto(f"{live_server.url}/products/espresso-machine/")
    page.get_by_role("button", name=german("Add to cart")).click()
    page.get_by_role("link", name=german("Checkout")).click()
    expect(page.get_by_role("heading", level=1, name=german("Checkout"))).to_be_visible()
    page.get_by_role("button", name=german("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]+/"))  # the order page: it is placed
    order = Order.objects.get(user=customer)
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    context.close()

    # The confirmation mail, in German, with the German prices.
    (message,) = [sent for sent in mail.outbox if customer.email in sent.to]
    with translation.override("de"):
        subject = translation.gettext("Order %(number)s confirmed") % {"number": order.number}
        thanks = translation.gettext("Thank you for your order %(number)s.") % {
            "number": order.number
        }
    assert message.subject == subject != f"Order {order.number} confirmed"
    assert thanks in message.body and "Thank you for your order" not in message.body
    assert re.search(r"1\.234,56[\u00a0 ]€", message.body)
    html = message.alternatives[0][0]
    assert 'lang="de"' in html and german("The Shop team") in html
