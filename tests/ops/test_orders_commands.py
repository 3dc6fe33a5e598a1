"""`manage.py export_orders` and `manage.py sales_report`: what operators read."""

import csv
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order, OrderStatus
from orders.services import order_cancel, order_mark_paid, order_place
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db


def place(items, *, email: str, day: str, status: str = OrderStatus.PENDING) -> Order:
    user = verify_email(UserFactory(email=email))
    cart = cart_get_for_user(user=user)
    for product, quantity in items:
        cart_add_item(cart=cart, product=product, quantity=quantity)
    order = order_place(user=user, cart=cart, shipping_address=address_data())
    if status == OrderStatus.PAID:
        order_mark_paid(order=order)
    elif status == OrderStatus.CANCELLED:
        order_cancel(order=order, by=None)
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.fromisoformat(f"{day}T10:30:00").replace(tzinfo=UTC)
    )
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def sales():
    audio = CategoryFactory(name="Audio", slug="audio")
    alpha, beta = ShopFactory(name="Alpha Audio"), ShopFactory(name="Beta Books")
    headphones = ProductFactory(shop=alpha, category=audio, price="100.00", stock_quantity=50)
    cable = ProductFactory(shop=alpha, category=audio, price="5.50", stock_quantity=50)
    novel = ProductFactory(shop=beta, price="12.00", stock_quantity=50)
    return {
        "first": place(
            [(headphones, 1), (cable, 2)], email="ann@example.com", day="2025-03-01", status="paid"
        ),
        "second": place([(novel, 3)], email="bob@example.com", day="2025-03-01", status="paid"),
        "mixed": place(
            [(novel, 1), (headphones, 1)], email="cy@example.com", day="2025-03-02", status="paid"
        ),
        "unpaid": place([(cable, 4)], email="dee@example.com", day="2025-03-02"),
        "cancelled": place(
            [(headphones, 5)], email="eve@example.com", day="2025-03-03", status="cancelled"
        ),
    }


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- export_orders ----------------------------------------------------------------------


def test_export_writes_one_row_per_order_oldest_first(sales):
    out, err = run("export_orders")

    rows = list(csv.DictReader(StringIO(out)))
    assert list(rows[0]) == [
        "number",
        "created_at",
        "status",
        "user_email",
        "subtotal",
        "shipping_total",
        "tax_total",
        "discount_total",
        "total",
        "refunded_total",
        "currency",
        "items",
    ]
    assert len(rows) == 5
    by_email = {row["user_email"]: row for row in rows}
    first = by_email["ann@example.com"]
    assert first["number"] == sales["first"].number
    assert first["created_at"] == "2025-03-01T10:30:00+00:00"
    assert first["status"] == "paid"
    assert (first["subtotal"], first["shipping_total"], first["total"]) == (
        "111.00",
        "0.00",
        "111.00",
    )
    assert first["refunded_total"] == "0.00" and first["currency"] == "USD"
    assert first["items"] == "3"  # units: one pair of headphones, two cables
    assert by_email["eve@example.com"]["status"] == "cancelled"
    assert [row["created_at"][:10] for row in rows] == sorted(
        row["created_at"][:10] for row in rows
    )
    assert err.strip() == "Exported 5 order(s) to standard output."


def test_export_filters_by_period_and_status(sales):
    out, _err = run("export_orders", "--from", "2025-03-02", "--to", "2025-03-02")
    assert {row["user_email"] for row in csv.DictReader(StringIO(out))} == {
        "cy@example.com",
        "dee@example.com",
    }

    out, _err = run("export_orders", "--status", "paid", "--status", "cancelled")
    assert {row["status"] for row in csv.DictReader(StringIO(out))} == {"paid", "cancelled"}
    assert len(list(csv.DictReader(StringIO(out)))) == 4


def test_export_writes_to_a_file(sales, tmp_path):
    path = tmp_path / "orders.csv"
    out, err = run("export_orders", "--output", str(path), "--status", "pending")

    assert out == ""
    assert f"Exported 1 order(s) to {path}." in err
    with path.open(newline="", encoding="utf-8") as stream:
        [row] = list(csv.DictReader(stream))
    assert row["user_email"] == "dee@example.com" and row["items"] == "4"
    assert [p.name for p in tmp_path.iterdir()] == ["orders.csv"]  # no partial file left


def test_export_with_no_orders_writes_the_header_only(db):
    out, _err = run("export_orders")
    assert out.splitlines() == [
        "number,created_at,status,user_email,subtotal,shipping_total,tax_total,discount_total,"
        "total,refunded_total,currency,items"
    ]


def test_export_refuses_bad_dates_and_statuses(db):
    with pytest.raises(CommandError, match="is not a date: write YYYY-MM-DD"):
        run("export_orders", "--from", "01/03/2025")
    with pytest.raises(CommandError, match="after --to"):
        run("export_orders", "--from", "2025-03-02", "--to", "2025-03-01")
    with pytest.raises(CommandError, match="invalid choice"):
        run("export_orders", "--status", "lost")


# --- sales_report -----------------------------------------------------------------------


def table(out: str) -> list[list[str]]:
    """The report's lines split into cells (runs of two or more spaces separate them)."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]


def test_sales_report_by_day_counts_paid_orders_only(sales):
    out, _err = run("sales_report")

    lines = table(out)
    assert lines[0] == ["Sales by day, the first order to today (USD)"]
    assert lines[1] == ["Day", "Revenue", "Orders", "Units"]
    assert ["2025-03-01", "147.00", "2", "6"] in lines
    assert ["2025-03-02", "112.00", "1", "2"] in lines
    assert not any(line[0] == "2025-03-03" for line in lines)  # only a cancelled order
    assert lines[-1] == ["Total", "259.00", "3", "8"]


def test_sales_report_columns_are_aligned(sales):
    out, _err = run("sales_report", "--group-by", "shop")
    lines = [line for line in out.splitlines()[1:] if not line.startswith("-")]
    ends = {len(line) for line in lines}
    assert len(ends) == 1  # right-aligned numbers end in the same column
    assert out.splitlines()[2].startswith("-----")


def test_sales_report_by_shop_and_by_category(sales):
    lines = table(run("sales_report", "--group-by", "shop")[0])
    assert ["Alpha Audio", "211.00", "2", "4"] in lines
    assert ["Beta Books", "48.00", "2", "4"] in lines
    # An order with lines of both shops counts once in each row, once in the total.
    assert lines[-1] == ["Total", "259.00", "3", "8"]

    lines = table(run("sales_report", "--group-by", "category")[0])
    assert lines[1][0] == "Category"
    assert ["Audio", "211.00", "2", "4"] in lines
    assert ["Uncategorised", "48.00", "2", "4"] in lines


def test_sales_report_over_a_period(sales):
    out, _err = run("sales_report", "--from", "2025-03-02", "--to", "2025-03-31")
    lines = table(out)
    assert lines[0] == ["Sales by day, 2025-03-02 to 2025-03-31 (USD)"]
    assert lines[-1] == ["Total", "112.00", "1", "2"]


def test_sales_report_with_no_sales_says_so(db):
    out, _err = run("sales_report", "--group-by", "category")
    assert "(no sales in this period)" in out
    assert table(out)[-1] == ["Total", "0.00", "0", "0"]


def test_sales_report_refuses_an_unknown_grouping(db):
    with pytest.raises(CommandError, match="invalid choice: 'week'"):
        run("sales_report", "--group-by", "week")


def test_large_amounts_keep_their_thousands_apart(db):
    shop = ShopFactory(name="Dear")
    product = ProductFactory(shop=shop, price="12345.60", stock_quantity=5)
    place([(product, 2)], email="rich@example.com", day="2025-01-01", status="paid")
    assert table(run("sales_report")[0])[-1] == ["Total", "24,691.20", "1", "2"]
