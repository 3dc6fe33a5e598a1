"""Checkout of variants: each variant's stock taken and given back (cancel, expiry), order
lines' snapshot of the variant, low-stock alerts per variant, sales and exports by
variant, and no overselling nor deadlock under real concurrency (PostgreSQL)."""

import csv
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cart.exceptions import InsufficientStock, ProductUnavailable
from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product, ProductVariant
from catalog.services import product_create, variant_delete
from orders.models import Order, OrderLine, OrderStatus
from orders.selectors import (
    ORDER_LINE_EXPORT_COLUMNS,
    order_line_export_rows,
    sales_report,
)
from orders.services import (
    order_cancel,
    order_mark_paid,
    order_place,
    orders_expire_reservations,
)
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db

SIZES_COLOURS = [
    {"name": "Size", "values": ["S", "M"]},
    {"name": "Colour", "values": ["Red", "Blue"]},
]


def make_tee(shop, *, stock=10, name="Tee") -> Product:
    """Four variants: TEE-S-RED 10.00, TEE-S-BLUE 11.00, TEE-M-RED 12.00, TEE-M-BLUE 13.00."""
    prefix = name.upper()
    variants = []
    for number, (size, colour) in enumerate(
        [("S", "Red"), ("S", "Blue"), ("M", "Red"), ("M", "Blue")]
    ):
        variants.append(
            {
                "sku": f"{prefix}-{size}-{colour.upper()}",
                "price": f"{10 + number}.00",
                "stock_quantity": stock,
                "options": {"Size": size, "Colour": colour},
            }
        )
    return product_create(
        user=None, shop=shop, data={"name": name, "options": SIZES_COLOURS, "variants": variants}
    )


def of(product, sku) -> ProductVariant:
    return ProductVariant.objects.get(product=product, sku=sku)


def stock(*variants) -> list[int]:
    return [ProductVariant.objects.get(pk=variant.pk).stock_quantity for variant in variants]


def product_stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock_quantity


def buyer(**fields):
    return verify_email(UserFactory(**fields))


def cart_with(user, *variants_and_quantities):
    cart = cart_get_for_user(user=user)
    for variant, quantity in variants_and_quantities:
        cart_add_item(cart=cart, variant=variant, quantity=quantity)
    return cart


def buy(user, *variants_and_quantities) -> Order:
    cart = cart_with(user, *variants_and_quantities)
    return order_place(user=user, cart=cart, shipping_address=address_data())


@pytest.fixture
def shop():
    shop = ShopFactory(name="Alpha Audio")
    MembershipFactory(shop=shop, user=UserFactory(email="ann@alpha.example"), role="owner")
    return shop


@pytest.fixture
def tee(shop):
    return make_tee(shop)


# --- Stock taken and given back ------------------------------------------------------------


def test_checkout_takes_each_variants_stock_and_snapshots_it_on_the_lines(tee):
    s_red, m_red, m_blue = of(tee, "TEE-S-RED"), of(tee, "TEE-M-RED"), of(tee, "TEE-M-BLUE")

    order = buy(buyer(), (m_red, 2), (s_red, 3))

    assert stock(s_red, m_red, m_blue) == [7, 8, 10]
    assert product_stock(tee) == 35  # the summary: 40 less the 5 sold
    assert order.subtotal == order.total == Decimal("54.00")  # 2 x 12.00 + 3 x 10.00
    lines = {line.variant_id: line for line in order.lines.all()}
    assert set(lines) == {s_red.pk, m_red.pk}
    line = lines[m_red.pk]
    assert (line.product_id, line.sku, line.variant_options) == (
        tee.pk,
        "TEE-M-RED",
        "Size: M / Colour: Red",
    )
    assert (line.unit_price, line.quantity, line.line_total) == (
        Decimal("12.00"),
        2,
        Decimal("24.00"),
    )
    assert str(line) == "2 x Tee (Size: M / Colour: Red)"
    assert lines[s_red.pk].variant_options == "Size: S / Colour: Red"

    # The snapshot stays when the variant changes or goes.
    ProductVariant.objects.filter(pk=m_red.pk).update(sku="RENAMED", options_text="Other")
    line.refresh_from_db()
    assert (line.sku, line.variant_options) == ("TEE-M-RED", "Size: M / Colour: Red")


def test_a_variant_without_enough_stock_refuses_the_whole_order(tee):
    s_red, m_red = of(tee, "TEE-S-RED"), of(tee, "TEE-M-RED")
    user = buyer()
    cart = cart_with(user, (s_red, 2), (m_red, 5))
    ProductVariant.objects.filter(pk=m_red.pk).update(stock_quantity=4)  # sold meanwhile

    with pytest.raises(InsufficientStock) as error:
        order_place(user=user, cart=cart, shipping_address=address_data())

    assert error.value.as_dict()["variant_id"] == m_red.pk
    assert error.value.as_dict()["available"] == 4
    assert "Size: M / Colour: Red" in error.value.detail
    assert stock(s_red, m_red) == [10, 4]
    assert not Order.objects.exists()


def test_cancelling_gives_each_variant_its_stock_back(tee):
    s_red, m_blue = of(tee, "TEE-S-RED"), of(tee, "TEE-M-BLUE")
    user = buyer()
    order = buy(user, (s_red, 4), (m_blue, 1))
    assert stock(s_red, m_blue) == [6, 9] and product_stock(tee) == 35

    order_cancel(order=order, by=user)

    assert stock(s_red, m_blue) == [10, 10]
    assert product_stock(tee) == 40
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_an_expired_reservation_gives_the_stock_back(tee):
    m_red = of(tee, "TEE-M-RED")
    order = buy(buyer(), (m_red, 3))
    paid = buy(buyer(), (m_red, 1))
    order_mark_paid(order=paid)
    assert stock(m_red) == [6]

    assert orders_expire_reservations(now=timezone.now() + timedelta(minutes=5)) == 0
    assert orders_expire_reservations(now=timezone.now() + timedelta(days=1)) == 1

    assert stock(m_red) == [9]  # the paid order keeps its unit
    assert product_stock(tee) == 39
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID


def test_a_removed_or_inactive_variant_in_a_cart_is_not_sold(tee):
    m_red, s_red = of(tee, "TEE-M-RED"), of(tee, "TEE-S-RED")
    user = buyer()
    cart = cart_with(user, (m_red, 1), (s_red, 1))
    variant_delete(user=None, variant=m_red)

    with pytest.raises(ProductUnavailable) as error:
        order_place(user=user, cart=cart, shipping_address=address_data())
    assert error.value.as_dict()["variant_id"] == m_red.pk
    assert stock(m_red, s_red) == [10, 10]

    cart = cart_with(buyer(), (s_red, 1))
    ProductVariant.objects.filter(pk=s_red.pk).update(is_active=False)
    with pytest.raises(ProductUnavailable):
        order_place(user=cart.user, cart=cart, shipping_address=address_data())
    assert not Order.objects.exists()


# --- Low-stock alerts per variant ------------------------------------------------------------


def low_stock_mails():
    return [message for message in mail.outbox if message.subject.startswith("Low stock at")]


def test_a_variant_falling_below_the_threshold_is_named_with_its_options(
    shop, tee, django_capture_on_commit_callbacks
):
    shop.low_stock_threshold = 8
    shop.save()
    m_red, s_blue = of(tee, "TEE-M-RED"), of(tee, "TEE-S-BLUE")

    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer(), (m_red, 3), (s_blue, 1))  # M/Red 7 (below 8), S/Blue 9 (not)

    [alert] = low_stock_mails()
    assert alert.to == ["ann@alpha.example"]
    assert alert.subject == "Low stock at Alpha Audio: Tee (Size: M / Colour: Red)"
    assert "Tee, Size: M / Colour: Red (SKU TEE-M-RED): 7 left" in alert.body
    assert "S / Colour: Blue" not in alert.body
    assert "Size: M / Colour: Red" in alert.alternatives[0][0]
    assert of(tee, "TEE-M-RED").low_stock_notified_at is not None
    assert of(tee, "TEE-S-BLUE").low_stock_notified_at is None

    # Another sale of the same variant: no second email; another variant: its own.
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer(), (m_red, 1))
    assert len(low_stock_mails()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer(), (s_blue, 2), (of(tee, "TEE-S-RED"), 3))
    second = low_stock_mails()[1]
    assert second.subject == "Low stock at Alpha Audio: 2 products"
    assert "Tee, Size: S / Colour: Blue (SKU TEE-S-BLUE): 7 left" in second.body
    assert "Tee, Size: S / Colour: Red (SKU TEE-S-RED): 7 left" in second.body
    assert "M / Colour: Red" not in second.body


def test_cancelling_resets_the_variants_alert(shop, tee, django_capture_on_commit_callbacks):
    m_red = of(tee, "TEE-M-RED")
    user = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(user, (m_red, 6))  # 4 left: below the default threshold of 5
    assert len(low_stock_mails()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=user)
    assert of(tee, "TEE-M-RED").low_stock_notified_at is None
    with django_capture_on_commit_callbacks(execute=True):
        buy(user, (m_red, 6))
    assert len(low_stock_mails()) == 2


# --- Sales and exports by variant -------------------------------------------------------------


@pytest.fixture
def sold(shop):
    """Paid: Tee M/Red x2 + S/Red x1 (one order), M/Red x3 (another), Lamp x1 (a third);
    pending and cancelled orders of S/Blue do not count."""
    tee = make_tee(shop)
    lamp = ProductFactory(shop=shop, name="Lamp", sku="LAMP-1", price="50.00", stock_quantity=10)
    s_red, s_blue, m_red = of(tee, "TEE-S-RED"), of(tee, "TEE-S-BLUE"), of(tee, "TEE-M-RED")
    orders = [
        buy(buyer(email="ann@example.com"), (m_red, 2), (s_red, 1)),
        buy(buyer(email="bob@example.com"), (m_red, 3)),
        buy(buyer(email="cy@example.com"), (lamp.variants.get(), 1)),
    ]
    for order in orders:
        order_mark_paid(order=order)
    buy(buyer(email="dee@example.com"), (s_blue, 4))  # pending
    cancelled_by = buyer(email="eve@example.com")
    order_cancel(order=buy(cancelled_by, (s_blue, 1)), by=cancelled_by)
    return {"tee": tee, "lamp": lamp, "s_red": s_red, "m_red": m_red, "orders": orders}


def test_sales_by_variant_and_by_product(sold):
    tee, lamp, s_red, m_red = sold["tee"], sold["lamp"], sold["s_red"], sold["m_red"]

    assert sales_report(group_by="variant") == [
        {
            "key": m_red.pk,
            "label": "Tee (Size: M / Colour: Red)",
            "sku": "TEE-M-RED",
            "revenue": Decimal("60.00"),
            "discounts": Decimal("0.00"),
            "orders": 2,
            "units": 5,
        },
        {
            "key": lamp.variants.get().pk,
            "label": "Lamp",
            "sku": "LAMP-1",
            "revenue": Decimal("50.00"),
            "discounts": Decimal("0.00"),
            "orders": 1,
            "units": 1,
        },
        {
            "key": s_red.pk,
            "label": "Tee (Size: S / Colour: Red)",
            "sku": "TEE-S-RED",
            "revenue": Decimal("10.00"),
            "discounts": Decimal("0.00"),
            "orders": 1,
            "units": 1,
        },
    ]
    assert sales_report(group_by="product") == [
        {
            "key": tee.pk,
            "label": "Tee",
            "revenue": Decimal("70.00"),
            "discounts": Decimal("0.00"),
            "orders": 2,
            "units": 6,
        },
        {
            "key": lamp.pk,
            "label": "Lamp",
            "revenue": Decimal("50.00"),
            "discounts": Decimal("0.00"),
            "orders": 1,
            "units": 1,
        },
    ]


def test_the_sales_by_variant_name_a_variant_as_it_was_sold(sold):
    m_red = sold["m_red"]
    variant_delete(user=None, variant=m_red)
    ProductVariant.objects.filter(pk=m_red.pk).update(sku="GONE")
    row = next(row for row in sales_report(group_by="variant") if row["key"] == m_red.pk)
    assert (row["label"], row["sku"], row["units"]) == (
        "Tee (Size: M / Colour: Red)",
        "TEE-M-RED",
        5,
    )


def test_order_line_export_rows_one_row_per_line_by_variant(sold):
    first = sold["orders"][0]
    rows = list(order_line_export_rows(OrderLine.objects.filter(order=first)))
    assert ORDER_LINE_EXPORT_COLUMNS == (
        "order_number",
        "created_at",
        "status",
        "shop",
        "product_id",
        "product_name",
        "variant_id",
        "variant_options",
        "sku",
        "unit_price",
        "quantity",
        "line_total",
        "tax_rate",
        "tax_amount",
        "currency",
    )
    by_sku = {row[8]: dict(zip(ORDER_LINE_EXPORT_COLUMNS, row, strict=True)) for row in rows}
    assert set(by_sku) == {"TEE-M-RED", "TEE-S-RED"}
    row = by_sku["TEE-M-RED"]
    assert row["order_number"] == first.number
    assert row["status"] == "paid"
    assert row["shop"] == "Alpha Audio"
    assert (row["product_id"], row["product_name"]) == (sold["tee"].pk, "Tee")
    assert (row["variant_id"], row["variant_options"]) == (
        sold["m_red"].pk,
        "Size: M / Colour: Red",
    )
    assert (row["unit_price"], row["quantity"], row["line_total"], row["currency"]) == (
        Decimal("12.00"),
        2,
        Decimal("24.00"),
        "USD",
    )
    assert row["created_at"].endswith("+00:00")


def test_export_orders_with_lines_writes_one_row_per_order_line(sold):
    out, err = StringIO(), StringIO()
    call_command("export_orders", "--lines", "--status", "paid", stdout=out, stderr=err)

    rows = list(csv.DictReader(StringIO(out.getvalue())))
    assert out.getvalue().splitlines()[0] == ",".join(ORDER_LINE_EXPORT_COLUMNS)
    assert len(rows) == 4  # 2 + 1 + 1 lines of the paid orders
    assert err.getvalue().strip() == "Exported 4 order line(s) to standard output."
    assert sorted((row["sku"], row["variant_options"], row["quantity"]) for row in rows) == [
        ("LAMP-1", "", "1"),
        ("TEE-M-RED", "Size: M / Colour: Red", "2"),
        ("TEE-M-RED", "Size: M / Colour: Red", "3"),
        ("TEE-S-RED", "Size: S / Colour: Red", "1"),
    ]
    tee_line = next(row for row in rows if row["sku"] == "TEE-S-RED")
    assert (tee_line["variant_id"], tee_line["unit_price"], tee_line["line_total"]) == (
        str(sold["s_red"].pk),
        "10.00",
        "10.00",
    )
    assert {row["status"] for row in rows} == {"paid"}

    everything = StringIO()
    call_command("export_orders", "--lines", stdout=everything, stderr=StringIO())
    assert len(list(csv.DictReader(StringIO(everything.getvalue())))) == 6  # + pending, cancelled


# --- Concurrency on PostgreSQL, with real threads ---------------------------------------------

BUYER_THREADS = 16


def _race(work, count, *, threads=BUYER_THREADS):
    """Run work(index) for index in range(count) on a pool of threads, the first of them
    released together; each closes its database connection after its checkout. Answers
    [("ok", value) | ("error", exception)]."""
    start = threading.Event()

    def run(index):
        start.wait(timeout=30)
        try:
            return ("ok", work(index))
        except Exception as exc:
            return ("error", exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        start.set()
        results = [future.result(timeout=120) for future in futures]
    return results


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_200_buyers_racing_for_one_variant_with_50_units_buy_exactly_50():
    tee = make_tee(ShopFactory(), stock=30)
    target = of(tee, "TEE-M-RED")
    others = [of(tee, sku) for sku in ("TEE-S-RED", "TEE-S-BLUE", "TEE-M-BLUE")]
    ProductVariant.objects.filter(pk=target.pk).update(stock_quantity=50)
    buyers = [buyer() for _ in range(200)]
    carts = [cart_with(person, (target, 1)) for person in buyers]

    results = _race(
        lambda index: (
            order_place(user=buyers[index], cart=carts[index], shipping_address=address_data()).pk
        ),
        200,
    )

    placed = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "error"]
    assert len(placed) == 50
    unexpected = {
        repr(error)[:200] for error in refused if not isinstance(error, InsufficientStock)
    }
    assert not unexpected
    assert len(refused) == 150
    assert all(
        (error.as_dict()["variant_id"], error.as_dict()["available"]) == (target.pk, 0)
        for error in refused
    )
    assert stock(target) == [0]
    assert stock(*others) == [30, 30, 30]
    assert product_stock(tee) == 90
    assert Order.objects.count() == 50
    assert sum(OrderLine.objects.filter(variant=target).values_list("quantity", flat=True)) == 50
    assert not ProductVariant.objects.filter(stock_quantity__lt=0).exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_variants_bought_in_opposite_orders_never_deadlock():
    tee = make_tee(ShopFactory(), stock=100)
    first, second = of(tee, "TEE-S-BLUE"), of(tee, "TEE-M-RED")
    rounds = 20
    errors = []

    for _round in range(rounds):
        ann, bob = buyer(), buyer()
        carts = [cart_with(ann, (first, 1), (second, 1)), cart_with(bob, (second, 1), (first, 1))]
        assert [item.variant_id for item in carts[1].items.order_by("added_at", "id")] == [
            second.pk,
            first.pk,
        ]
        people = [ann, bob]
        barrier = threading.Barrier(2)

        def checkout(index, people=people, carts=carts, barrier=barrier):
            barrier.wait(timeout=30)
            return order_place(
                user=people[index], cart=carts[index], shipping_address=address_data()
            ).pk

        results = _race(checkout, 2, threads=2)
        errors += [value for outcome, value in results if outcome == "error"]

    assert not errors, [repr(error)[:200] for error in errors]
    assert stock(first, second) == [100 - 2 * rounds, 100 - 2 * rounds]
    assert stock(of(tee, "TEE-S-RED"), of(tee, "TEE-M-BLUE")) == [100, 100]
    assert product_stock(tee) == 400 - 4 * rounds
    assert Order.objects.count() == 2 * rounds
