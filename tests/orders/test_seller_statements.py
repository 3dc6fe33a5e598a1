"""Seller statements (issue 17): per shop and period, gross sales, refunds, tax collected,
commission and the net owed, the same in the API, the admin's CSV and the command. The
expected figures are worked out by hand in the comments."""

import csv
import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order
from orders.selectors import seller_statements
from orders.services import order_mark_paid, order_place, order_record_refund
from shipping.services import shipping_method_create, shipping_zone_create
from taxes.services import tax_rates_load_eu
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
def sales(settings):
    settings.PLATFORM_COMMISSION_RATE = "10.00"
    tax_rates_load_eu()  # DE: 19 standard, 7 reduced
    lamps = ShopFactory(name="Lamps", ships=False)
    zone = shipping_zone_create(shop=lamps, data={"name": "DE", "countries": ["DE"]}, by=None)
    shipping_method_create(zone=zone, data={"name": "Parcel", "price": "10.00"}, by=None)
    books = ShopFactory(name="Books", commission_rate=D("5.00"))  # ships free, everywhere
    lamp = ProductFactory(shop=lamps, price="100.00", stock_quantity=9)
    book = ProductFactory(shop=books, price="25.00", stock_quantity=9, tax_class="reduced")

    def order(*lines, paid=True):
        buyer = verify_email(UserFactory())
        cart = cart_get_for_user(user=buyer)
        for product, quantity in lines:
            cart_add_item(cart=cart, product=product, quantity=quantity)
        placed = order_place(user=buyer, cart=cart, shipping_address=address_data(country="DE"))
        if paid:
            order_mark_paid(order=placed)
        return placed

    refunded = order((lamp, 1), (book, 2))
    # Lamps: 100.00 + 19.00 tax, shipping 10.00 + 1.90;  Books: 50.00 + 3.50, free shipping.
    assert refunded.total == D("184.40")
    order_record_refund(order=refunded, amount=D("46.10"))
    order((lamp, 1), paid=False)  # pending: not a sale
    return {"lamps": lamps, "books": books, "owner": MembershipFactory(shop=lamps).user}


def test_a_statement_per_shop_worked_by_hand(sales):
    statements = {row["shop"]: row for row in seller_statements()}

    # The refund of 46.10 split by the shares of 184.40: Lamps paid 130.90, 46.10 x
    # 130.90 / 184.40 = 32.725; Books 53.50, 13.375. Rounded down 32.72 + 13.37 = 46.09;
    # the cent left goes to the largest remainder (a tie: the larger share, Lamps).
    # Lamps: net of tax (130.90 - 32.73) x 110.00 / 130.90 = 82.4958; 10% -> 8.25;
    # owed 130.90 - 32.73 - 8.25 = 89.92.
    assert statements["Lamps"] == {
        "shop_id": sales["lamps"].pk,
        "shop": "Lamps",
        "orders": 1,
        "gross_sales": D("130.90"),
        "refunds": D("32.73"),
        "tax_collected": D("20.90"),
        "commission_rate": D("10.00"),
        "commission": D("8.25"),
        "platform_discounts": D("0.00"),
        "net_owed": D("89.92"),
    }
    # Books: 13.37 refunded; net of tax (53.50 - 13.37) x 50.00 / 53.50 = 37.5047; its
    # own 5% -> 1.88; owed 53.50 - 13.37 - 1.88 = 38.25.
    books = statements["Books"]
    assert (books["refunds"], books["commission"], books["net_owed"]) == (
        D("13.37"),
        D("1.88"),
        D("38.25"),
    )
    # The refunds' shares add up to what was refunded.
    assert statements["Lamps"]["refunds"] + books["refunds"] == D("46.10")


def test_a_period_without_the_orders_has_no_statements(sales):
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert seller_statements(date_from=tomorrow) == []


def test_the_api_admin_csv_and_command_agree(sales, client):
    staff = bearer_client(StaffFactory(permissions=["view"]))
    answer = staff.get("/api/v1/reports/seller-statements/").json()
    by_shop = {row["shop"]: row for row in answer["results"]}
    assert by_shop["Lamps"]["net_owed"] == "89.92" and answer["currency"] == "USD"

    # An owner reads their shop's statement only.
    owner = bearer_client(sales["owner"])
    mine = owner.get("/api/v1/reports/seller-statements/").json()["results"]
    assert [row["shop"] for row in mine] == ["Lamps"]
    other = owner.get(f"/api/v1/reports/seller-statements/?shop={sales['books'].pk}")
    assert other.status_code == 404
    bad = owner.get("/api/v1/reports/seller-statements/?date_from=2026-02-01&date_to=2026-01-01")
    assert bad.status_code == 400 and "date_to" in bad.json()["fields"]
    customer = bearer_client(verify_email(UserFactory()))
    assert customer.get("/api/v1/reports/seller-statements/").status_code == 403

    out = io.StringIO()
    call_command("seller_statements", stdout=out)
    rows = {row["shop"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["Lamps"]["net_owed"] == "89.92" and rows["Books"]["commission"] == "1.88"

    client.force_login(sales["owner"])
    response = client.get(reverse("admin:seller_statements_csv"))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    downloaded = list(csv.DictReader(io.StringIO(text)))
    assert [row["shop"] for row in downloaded] == ["Lamps"]
    assert downloaded[0]["refunds"] == "32.73"
    assert Order.objects.count() == 2


def test_a_statement_keeps_the_rate_of_checkout_and_the_split_whoever_reads(sales):
    from shops.services import shop_set_commission_rate

    before = {row["shop"]: row for row in seller_statements()}
    # Staff change the rate afterwards: the statement of past orders does not move.
    shop_set_commission_rate(shop=sales["lamps"], rate=D("50.00"), by=None)
    after = {row["shop"]: row for row in seller_statements()}
    assert after["Lamps"]["commission"] == before["Lamps"]["commission"] == D("8.25")
    # The owner's own statement splits the refund as the whole platform's does.
    mine = seller_statements(shop_ids={sales["lamps"].pk})
    assert mine[0]["refunds"] == before["Lamps"]["refunds"] == D("32.73")
    books_only = seller_statements(shop_ids={sales["books"].pk})
    assert books_only[0]["refunds"] == D("13.37")
