"""The admin's index as a sales dashboard: its figures are the ones the orders give when
counted by hand, it is drawn in the page (an SVG made on the server), and it costs the
same number of queries for 5 orders as for 50."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cart.services import cart_add_item, cart_get_for_user
from orders.dashboard import nice_step, sales_chart
from orders.models import Order, OrderStatus
from orders.selectors import SALES_STATUSES
from orders.services import order_cancel, order_mark_paid, order_place
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db
S = OrderStatus
INDEX = reverse("admin:index")


# --- Helpers (also used by test_admin.py) -----------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def place(items, *, user=None) -> Order:
    """An order placed through the services: `items` is [(product, quantity), ...]."""
    user = user or verify_email(UserFactory())
    cart = cart_get_for_user(user=user)
    for product, quantity in items:
        cart_add_item(cart=cart, product=product, quantity=quantity)
    return order_place(user=user, cart=cart, shipping_address=address_data())


def bring_to(order: Order, status: str) -> Order:
    """Pay, cancel or move the order as the services do; statuses with no service of
    their own (shipped and later, refunded) are written directly."""
    if status == S.PENDING:
        return order
    if status == S.CANCELLED:
        order_cancel(order=order, by=None)
    else:
        order_mark_paid(order=order)
        if status != S.PAID:
            Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def placed_days_ago(order: Order, days: int, *, hour: int = 12) -> Order:
    """Move the order to `days` before today (UTC), at `hour` o'clock."""
    day = timezone.localdate() - timedelta(days=days)
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.combine(day, time(hour), tzinfo=UTC)
    )
    order.refresh_from_db()
    return order


def make_orders(count: int, *, product=None) -> list[Order]:
    product = product or ProductFactory(stock_quantity=10 * count + 10, price="7.50")
    statuses = [S.PAID, S.PENDING, S.CANCELLED, S.SHIPPED, S.DELIVERED]
    orders = []
    for index in range(count):
        order = bring_to(place([(product, 1 + index % 3)]), statuses[index % len(statuses)])
        orders.append(placed_days_ago(order, index % 35))
    return orders


# --- The figures ------------------------------------------------------------------------


@pytest.fixture
def shop_data():
    """Two shops, five products (two low on stock, one of them no longer for sale, one
    deleted), and orders over 40 days in every status."""
    alpha = ShopFactory(name="Alpha Audio", low_stock_threshold=5)
    beta = ShopFactory(name="Beta Books", low_stock_threshold=3)
    amp = ProductFactory(shop=alpha, name="Amp", price="120.00", stock_quantity=200)
    cable = ProductFactory(shop=alpha, name="Cable", price="9.99", stock_quantity=200)
    book = ProductFactory(shop=beta, name="Book", price="15.00", stock_quantity=200)
    # Stock is taken by the orders below; these stay as set.
    low = ProductFactory(shop=alpha, name="Low Lamp", price="30.00", stock_quantity=2)
    ProductFactory(shop=alpha, name="Inactive", stock_quantity=0, is_active=False)
    ProductFactory(
        shop=beta, name="Deleted", stock_quantity=0, deleted_at=timezone.now()
    )  # soft-deleted
    ProductFactory(shop=beta, name="Enough", stock_quantity=3)  # not below 3

    plan = [
        # (days ago, status, items)
        (0, S.PAID, [(amp, 1), (cable, 2)]),
        (0, S.PENDING, [(amp, 3)]),
        (0, S.CANCELLED, [(book, 1)]),
        (1, S.PROCESSING, [(book, 2)]),
        (3, S.SHIPPED, [(cable, 1), (book, 1)]),
        (6, S.DELIVERED, [(amp, 1)]),
        (7, S.PAID, [(book, 4)]),
        (12, S.REFUNDED, [(amp, 2)]),
        (20, S.PAID, [(cable, 5)]),
        (29, S.PAID, [(book, 1), (amp, 1)]),
        (30, S.PAID, [(amp, 1)]),
        (40, S.DELIVERED, [(book, 2)]),
    ]
    orders = []
    for days, status, items in plan:
        orders.append(placed_days_ago(bring_to(place(items), status), days))
    return {"orders": orders, "low": low, "shops": (alpha, beta)}


def by_hand(orders, days: int) -> tuple[Decimal, int]:
    """Revenue and number of sales orders placed in the last `days` days, today
    included, counted from the orders themselves."""
    today = timezone.localdate()
    counted = [
        order
        for order in orders
        if order.status in SALES_STATUSES and (today - order.created_at.date()).days < days
    ]
    revenue = sum((line.line_total for o in counted for line in o.lines.all()), Decimal("0"))
    return revenue, len(counted)


def test_dashboard_figures_equal_the_orders_counted_by_hand(admin_client, shop_data):
    orders = shop_data["orders"]

    response = admin_client.get(INDEX)

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    periods = {period["days"]: period for period in dashboard["periods"]}
    for days in (1, 7, 30):
        revenue, count = by_hand(orders, days)
        assert (periods[days]["revenue"], periods[days]["orders"]) == (revenue, count), days
    # The figures as worked out from the plan, so that a wrong rule on both sides shows.
    assert periods[1]["revenue"] == Decimal("139.98") and periods[1]["orders"] == 1
    assert periods[7]["revenue"] == Decimal("314.97") and periods[7]["orders"] == 4
    assert periods[30]["revenue"] == Decimal("559.92") and periods[30]["orders"] == 7
    html = response.content.decode()
    assert 'data-revenue="559.92"' in html and 'data-orders="7"' in html

    counted = Counter(order.status for order in orders)
    statuses = {row["value"]: row["count"] for row in dashboard["statuses"]}
    assert statuses == {status: counted.get(status, 0) for status in S.values}
    assert dashboard["orders_total"] == len(orders)
    assert 'data-status="pending">1<' in html

    # Top products and shops over 30 days, by hand.
    today = timezone.localdate()
    per_product, per_shop = defaultdict(Decimal), defaultdict(Decimal)
    for order in orders:
        if order.status in SALES_STATUSES and (today - order.created_at.date()).days < 30:
            for line in order.lines.all():
                per_product[line.product_name] += line.line_total
                per_shop[line.shop_name] += line.line_total
    top_products = sorted(per_product.items(), key=lambda item: -item[1])[:5]
    assert [(row["label"], row["revenue"]) for row in dashboard["top_products"]] == top_products
    top_shops = sorted(per_shop.items(), key=lambda item: -item[1])[:5]
    assert [(row["label"], row["revenue"]) for row in dashboard["top_shops"]] == top_shops

    # Low stock: for sale, below its shop's threshold.
    low_names = [variant.product.name for variant in dashboard["low_stock"]["variants"]]
    assert low_names == ["Low Lamp"]
    assert dashboard["low_stock"]["count"] == 1

    # The ten most recent orders, newest first.
    newest = sorted(orders, key=lambda order: order.created_at, reverse=True)[:10]
    assert {order.pk for order in dashboard["recent_orders"]} == {order.pk for order in newest}
    created = [order.created_at for order in dashboard["recent_orders"]]
    assert created == sorted(created, reverse=True)
    first = dashboard["recent_orders"][0]
    assert first.item_count == sum(line.quantity for line in first.lines.all())
    assert reverse("admin:sales_report") in html


def test_the_chart_is_an_svg_drawn_in_the_page(admin_client, shop_data):
    response = admin_client.get(INDEX)
    html = response.content.decode()

    svg = re.search(r"<svg class=\"sales-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "aria-labelledby" in svg
    assert re.search(r"<title id=\"sales-chart-title\">Daily revenue and orders", svg)
    assert re.search(r"<desc id=\"sales-chart-desc\">.*559\.92 USD in 7 orders", svg, re.S)
    # A bar for each day with revenue in the last 30 days: today, 1, 3, 6, 7, 20 and 29
    # days ago (the refunded order does not count).
    bars = re.findall(r"<rect class=\"bar\" [^>]*height=\"([\d.]+)\"", svg)
    assert len(bars) == 7 and all(float(height) > 0 for height in bars)
    assert svg.count("<circle") == 30  # the orders line has a point per day
    assert "<polyline" in svg and "Revenue (USD)" in svg and ">Orders<" in svg
    # Nothing is fetched from elsewhere to draw it.
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_the_chart_scales_to_the_largest_day():
    days = [
        {"day": timezone.localdate() - timedelta(days=2 - i), "revenue": r, "orders": o}
        for i, (r, o) in enumerate([(Decimal("0"), 0), (Decimal("100.00"), 1), (Decimal("50"), 3)])
    ]
    chart = sales_chart(days, currency="USD")
    assert len(chart.bars) == 2
    tallest = max(chart.bars, key=lambda bar: bar["height"])
    assert tallest["y"] >= chart.top  # inside the plot
    assert [line["revenue"] for line in chart.grid] == ["0", "25", "50", "75", "100"]
    assert [line["orders"] for line in chart.grid] == ["0", "1", "2", "3", "4"]
    assert nice_step(0.3, whole=True) == 1 and nice_step(2600) == 5000
    assert nice_step(0.26) == 0.5 and nice_step(11, whole=True) == 20


def test_an_empty_shop_has_a_dashboard_too(admin_client):
    response = admin_client.get(INDEX)
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert [period["orders"] for period in dashboard["periods"]] == [0, 0, 0]
    assert "<rect" not in response.content.decode()
    assert "No sales yet." in response.content.decode()


# --- A fixed number of queries ------------------------------------------------------------


def _index_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INDEX)
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_queries_for_5_and_50_orders(admin_client):
    product = ProductFactory(stock_quantity=1000, price="7.50")
    make_orders(5, product=product)
    with_five = _index_queries(admin_client)
    make_orders(45, product=product)
    ProductFactory.create_batch(12, stock_quantity=1)  # more low-stock products than shown

    with_fifty = _index_queries(admin_client)

    assert with_fifty == with_five
    assert with_five <= 12
    low_stock = admin_client.get(INDEX).context["dashboard"]["low_stock"]
    assert low_stock["count"] == 12 and len(low_stock["variants"]) == 10


@pytest.mark.parametrize("count", [5, 50])
def test_the_dashboard_query_budget(admin_client, django_assert_max_num_queries, count):
    make_orders(count)
    # Session and user, six for the figures (sales by day, statuses, low stock, top
    # products, top shops, recent orders), the sidebar's admin log; a little slack.
    with django_assert_max_num_queries(12):
        response = admin_client.get(INDEX)
    assert response.status_code == 200
    assert len(response.context["dashboard"]["recent_orders"]) == min(count, 10)


# --- Who sees what --------------------------------------------------------------------------


def test_a_shop_member_sees_their_shop_not_the_platform(client, shop_data):
    alpha, _beta = shop_data["shops"]
    member = MembershipFactory(shop=alpha, role="staff").user
    client.force_login(member)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert "dashboard" not in response.context
    seller = response.context["seller_dashboard"]
    assert [v.product.name for v in seller["low_stock"]["variants"]] == ["Low Lamp"]
    assert seller["recent_lines"] and all(
        line.shop_id == alpha.pk for line in seller["recent_lines"]
    )
    html = response.content.decode()
    assert "sales-chart" not in html and "Beta Books" not in html
    assert "Top shops" not in html


def test_staff_without_order_permissions_see_no_figures(client, shop_data):
    client.force_login(UserFactory(is_staff=True))
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "dashboard" not in response.context and "sales-chart" not in response.content.decode()


def test_people_who_are_neither_staff_nor_members_cannot_open_the_admin(client):
    client.force_login(UserFactory())
    response = client.get(INDEX)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
