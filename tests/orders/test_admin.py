"""The admin of orders and carts: lists in a fixed number of queries, orders read-only
and changed only by actions that call the services (a refusal is a message, never a
500), shop members limited to their shops' order lines, and the sales reports with
their CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from orders.selectors import sales_report, sales_totals
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    verify_email,
)
from tests.orders.test_dashboard import bring_to, place, placed_days_ago

pytestmark = pytest.mark.django_db
S = OrderStatus

ORDERS = reverse("admin:orders_order_changelist")
LINES = reverse("admin:orders_orderline_changelist")
HISTORY = reverse("admin:orders_orderstatuschange_changelist")
CARTS = reverse("admin:cart_cart_changelist")
CART_ITEMS = reverse("admin:cart_cartitem_changelist")
REPORT = reverse("admin:sales_report")
REPORT_CSV = reverse("admin:sales_report_csv")
ORDERS_CSV = reverse("admin:orders_csv")


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def run_action(client, action: str, orders, url: str = ORDERS):
    return client.post(
        url, {"action": action, "_selected_action": [str(order.pk) for order in orders]}
    )


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def paid_by_card(order: Order) -> Order:
    """Pay the order as the shopper does, with the offline provider's test card."""
    from payments.services import payment_confirm, payment_create

    payment, _ = payment_create(user=order.user, order=order)
    payment_confirm(payment=payment, payment_method="pm_card_visa")
    order.refresh_from_db()
    return order


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- Every changelist: 200 in a fixed number of queries ---------------------------------


def _rows(count: int) -> None:
    """`count` rows of every list: paid orders (each its own shop and product, two
    status changes each) and carts with an item."""
    for _ in range(count):
        bring_to(place([(ProductFactory(shop=ShopFactory()), 2)]), S.PAID)
        cart = cart_get_for_user(user=UserFactory())
        cart_add_item(cart=cart, product=ProductFactory(), quantity=1)


@pytest.mark.parametrize("row_count", [3, 30])
@pytest.mark.parametrize(
    "url",
    [
        ORDERS,
        ORDERS + "?status__exact=paid&q=example.com",
        LINES,
        HISTORY,
        CARTS,
        CART_ITEMS,
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, row_count, url
):
    _rows(row_count)

    with django_assert_max_num_queries(10):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= min(row_count, 3)


def test_the_order_list_shows_what_it_promises(admin_client):
    order = bring_to(place([(ProductFactory(price="4.00"), 3), (ProductFactory(), 1)]), S.PAID)

    response = admin_client.get(ORDERS)

    [listed] = response.context["cl"].result_list
    assert listed.item_count == 4
    html = response.content.decode()
    assert order.number in html and order.user.email in html
    # Searching by the order's id finds it (and nothing else).
    other = place([(ProductFactory(), 1)])
    found = admin_client.get(ORDERS, {"q": str(order.pk)}).context["cl"].result_list
    assert list(found) == [order]
    found = admin_client.get(ORDERS, {"q": other.number}).context["cl"].result_list
    assert list(found) == [other]


def test_an_order_page_shows_its_lines_and_history_read_only(admin_client, admin_user):
    product = ProductFactory(name="Walnut Desk", price="120.00")
    order = bring_to(place([(product, 1)]), S.PAID)

    response = admin_client.get(change_url(order))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Walnut Desk" in html and "Status history" in html
    assert "Ada Lovelace" in html  # the shipping address
    assert 'name="_save"' not in html  # nothing to save: orders change through actions
    assert response.context["has_change_permission"] is False
    # A POST to the page changes nothing either.
    admin_client.post(change_url(order), {"status": "delivered"})
    assert status_of(order) == S.PAID


@pytest.mark.parametrize("model", [OrderLine, OrderStatusChange])
def test_history_pages_are_read_only(admin_client, model):
    bring_to(place([(ProductFactory(), 1)]), S.PAID)
    row = model.objects.first()

    response = admin_client.get(change_url(row))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False


def test_cart_pages_open(admin_client):
    _rows(1)
    cart = cart_get_for_user(user=UserFactory())
    item = cart_add_item(cart=cart, product=ProductFactory(name="Teapot"), quantity=2)

    assert "Teapot" in admin_client.get(change_url(cart)).content.decode()
    assert admin_client.get(change_url(item)).status_code == 200


# --- Actions go through the services ------------------------------------------------------


def test_marking_processing_moves_the_order_and_records_who(admin_client, admin_user):
    order = bring_to(place([(ProductFactory(), 1)]), S.PAID)

    response = run_action(admin_client, "mark_processing", [order])

    assert response.status_code == 302
    assert status_of(order) == S.PROCESSING
    last = OrderStatusChange.objects.filter(order=order).last()
    assert (last.from_status, last.to_status, last.by) == (S.PAID, S.PROCESSING, admin_user)
    assert messages_of(response) == [("success", f"Marked processing: 1 order: {order.number}.")]


def test_an_illegal_move_is_a_message_and_changes_nothing(admin_client):
    order = place([(ProductFactory(), 1)])  # pending: not paid yet
    history = OrderStatusChange.objects.filter(order=order).count()

    response = run_action(admin_client, "mark_shipped", [order])

    assert response.status_code == 302
    assert status_of(order) == S.PENDING
    assert OrderStatusChange.objects.filter(order=order).count() == history
    [(level, text)] = messages_of(response)
    assert level == "error" and order.number in text and "cannot become shipped" in text


def test_one_refusal_leaves_the_other_orders_moved(admin_client):
    paid = bring_to(place([(ProductFactory(), 1)]), S.PAID)
    shipped = bring_to(place([(ProductFactory(), 1)]), S.SHIPPED)

    response = run_action(admin_client, "mark_delivered", [paid, shipped])

    assert status_of(shipped) == S.DELIVERED
    assert status_of(paid) == S.PAID
    levels = [level for level, _ in messages_of(response)]
    assert levels == ["success", "error"]


def test_cancelling_returns_the_stock_and_refunds_the_payment(
    admin_client, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock_quantity=5, price="25.00")
    order = paid_by_card(place([(product, 2)]))
    assert Product.objects.get(pk=product.pk).stock_quantity == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, "cancel_orders", [order])

    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.cancelled_at is not None
    assert Product.objects.get(pk=product.pk).stock_quantity == 5
    assert order.refunded_total == Decimal("50.00")  # payments settled the cancelled order
    assert messages_of(response)[0][0] == "success"


def test_a_shipped_order_cannot_be_cancelled(admin_client):
    order = bring_to(place([(ProductFactory(), 1)]), S.SHIPPED)

    response = run_action(admin_client, "cancel_orders", [order])

    assert status_of(order) == S.SHIPPED
    assert messages_of(response)[0][0] == "error"


def test_refund_in_full_refunds_every_paid_payment(admin_client, admin_user):
    from payments.models import Refund

    order = paid_by_card(place([(ProductFactory(price="30.00"), 2)]))
    bring_to(order, S.SHIPPED)

    response = run_action(admin_client, "refund_in_full", [order])

    order.refresh_from_db()
    assert order.status == S.REFUNDED and order.refunded_total == order.total == Decimal("60")
    [refund] = Refund.objects.filter(payment__order=order)
    assert refund.amount == Decimal("60.00") and refund.created_by == admin_user
    assert messages_of(response) == [("success", f"Refunded 1 order: {order.number}.")]

    # Again: nothing is left to refund, and nothing changes.
    response = run_action(admin_client, "refund_in_full", [order])
    assert Refund.objects.filter(payment__order=order).count() == 1
    assert messages_of(response)[-1][0] == "error"


def test_refunding_an_unpaid_order_is_refused(admin_client):
    order = place([(ProductFactory(), 1)])

    response = run_action(admin_client, "refund_in_full", [order])

    assert status_of(order) == S.PENDING
    [(level, text)] = messages_of(response)
    assert level == "error" and "Nothing was paid" in text


def test_export_selected_orders_to_csv(admin_client):
    chosen = bring_to(place([(ProductFactory(price="5.00"), 3)]), S.PAID)
    place([(ProductFactory(), 1)])  # not selected

    response = run_action(admin_client, "export_csv", [chosen])

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    header, *rows = read_csv(response)
    # The columns of `manage.py export_orders`: one export, one CSV writer.
    assert header == [
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
    assert rows == [
        [
            chosen.number,
            chosen.created_at.isoformat(),
            "paid",
            chosen.user.email,
            "15.00",
            "0.00",
            "0.00",
            "0.00",
            "15.00",
            "0.00",
            "USD",
            "3",
        ]
    ]


def test_staff_who_may_only_look_get_no_order_actions(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    order = bring_to(place([(ProductFactory(), 1)]), S.PAID)

    response = client.get(ORDERS)

    assert response.status_code == 200
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "export_csv"]
    run_action(client, "mark_processing", [order])
    assert status_of(order) == S.PAID


# --- Shop members: their shops' lines, nothing else -----------------------------------------


@pytest.fixture
def two_shops():
    """An order with lines of two shops; shop A's owner is not platform staff."""
    shop_a, shop_b = ShopFactory(name="Alpha Audio"), ShopFactory(name="Beta Books")
    owner = MembershipFactory(shop=shop_a, role="owner").user
    order = bring_to(
        place(
            [
                (ProductFactory(shop=shop_a, name="Amp"), 1),
                (ProductFactory(shop=shop_b, name="Book"), 2),
            ]
        ),
        S.PAID,
    )
    return {"owner": owner, "order": order, "shop_a": shop_a, "shop_b": shop_b}


@pytest.fixture
def seller_client(client, two_shops):
    client.force_login(two_shops["owner"])
    return client


def test_a_seller_sees_only_their_shops_lines(seller_client, two_shops):
    response = seller_client.get(LINES)

    assert response.status_code == 200
    lines = list(response.context["cl"].result_list)
    assert [line.product_name for line in lines] == ["Amp"]
    assert response.context["title"] == "My order lines"
    html = response.content.decode()
    assert "Book" not in html and "Beta Books" not in html
    assert two_shops["order"].number in html
    assert reverse("admin:orders_order_change", args=[two_shops["order"].pk]) not in html
    # Sellers' actions: the export of their lines, and marking them sent (fulfilment).
    actions = response.context["action_form"].fields["action"].choices
    assert [name for name, _label in actions if name] == ["export_lines_csv", "fulfil_lines"]

    own = OrderLine.objects.get(shop=two_shops["shop_a"])
    page = seller_client.get(change_url(own))
    assert page.status_code == 200 and "Ada Lovelace" in page.content.decode()


def test_a_seller_gets_404_or_403_for_other_shops_and_whole_orders(seller_client, two_shops):
    other = OrderLine.objects.get(shop=two_shops["shop_b"])
    order = two_shops["order"]

    assert seller_client.get(change_url(other)).status_code == 404
    assert seller_client.get(ORDERS).status_code == 403
    assert seller_client.get(change_url(order)).status_code == 403
    assert seller_client.get(HISTORY).status_code == 403
    assert seller_client.get(CARTS).status_code == 403
    assert seller_client.get(REPORT).status_code == 403
    assert seller_client.get(ORDERS_CSV, {"date_from": "2000-01-01"}).status_code == 403
    assert seller_client.get(REPORT_CSV).status_code == 403

    response = run_action(seller_client, "mark_processing", [order])
    assert response.status_code == 403
    assert status_of(order) == S.PAID


@pytest.mark.parametrize("row_count", [3, 30])
def test_the_sellers_list_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, row_count
):
    shop = ShopFactory()
    owner = MembershipFactory(shop=shop).user
    product = ProductFactory(shop=shop, stock_quantity=100)
    for _ in range(row_count):
        bring_to(place([(product, 1), (ProductFactory(), 1)]), S.PAID)
    client.force_login(owner)

    # Also their shops, asked once, and the permissions behind the admin's side menu.
    with django_assert_max_num_queries(13):
        response = client.get(LINES)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == row_count


def test_people_who_are_neither_staff_nor_members_are_kept_out(client):
    person = verify_email(UserFactory())
    client.force_login(person)
    for url in (ORDERS, LINES, REPORT):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]

    # The admin's login page turns a signed-in customer away.
    assert client.get(reverse("admin:login")).status_code == 403
    client.logout()
    response = client.post(
        reverse("admin:login"),
        {"username": person.email, "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 302  # to the site's sign-in page; nothing checked here
    assert "_auth_user_id" not in client.session


# --- Reports ------------------------------------------------------------------------------


@pytest.fixture
def sales():
    """Sales in two shops and two categories over ten days, and orders that do not count."""
    toys, books = CategoryFactory(name="Toys"), CategoryFactory(name="Books")
    shop_a, shop_b = ShopFactory(name="Alpha"), ShopFactory(name="=cmd|' /C calc'!A0")
    kite = ProductFactory(shop=shop_a, category=toys, price="12.00", stock_quantity=100)
    novel = ProductFactory(shop=shop_b, category=books, price="8.50", stock_quantity=100)
    orders = [
        placed_days_ago(bring_to(place([(kite, 1), (novel, 2)]), S.PAID), 0),
        placed_days_ago(bring_to(place([(kite, 2)]), S.DELIVERED), 2),
        placed_days_ago(bring_to(place([(novel, 1)]), S.PROCESSING), 9),
        placed_days_ago(bring_to(place([(kite, 5)]), S.CANCELLED), 2, hour=15),
        placed_days_ago(place([(novel, 4)]), 1),  # pending
        placed_days_ago(bring_to(place([(kite, 1)]), S.PAID), 40),  # before the range
    ]
    return {"orders": orders, "shops": (shop_a, shop_b)}


def _range(days: int = 10) -> dict[str, str]:
    today = timezone.localdate()
    return {"date_from": str(today - timedelta(days=days - 1)), "date_to": str(today)}


@pytest.mark.parametrize("group_by", ["day", "shop", "category"])
def test_the_report_page_shows_the_apis_figures(admin_client, sales, group_by):
    query = {**_range(), "group_by": group_by}

    response = admin_client.get(REPORT, query)

    assert response.status_code == 200
    dates = {key: timezone.datetime.fromisoformat(query[key]).date() for key in _range()}
    expected = sales_report(**dates, group_by=group_by)
    assert response.context["rows"] == expected
    assert response.context["totals"] == sales_totals(**dates)
    assert response.context["totals"]["revenue"] == Decimal("61.50")  # 29 + 24 + 8.50
    assert response.context["totals"]["orders"] == 3
    api = admin_client.get("/api/v1/reports/sales/", query).json()
    assert [row["revenue"] for row in api["results"]] == [f"{r['revenue']:.2f}" for r in expected]
    html = response.content.decode()
    assert reverse("admin:sales_report_csv") in html and reverse("admin:orders_csv") in html
    assert ("sales-chart" in html) == (group_by == "day")


def test_the_report_page_defaults_to_the_last_30_days(admin_client, sales):
    response = admin_client.get(REPORT)

    assert response.status_code == 200
    today = timezone.localdate()
    assert response.context["query"] == {
        "date_from": today - timedelta(days=29),
        "date_to": today,
        "group_by": "day",
    }
    assert response.context["totals"]["orders"] == 3


def test_an_invalid_report_asks_again(admin_client, sales):
    query = {"date_from": "2025-02-10", "date_to": "2025-02-01", "group_by": "shop"}

    response = admin_client.get(REPORT, query)

    assert response.status_code == 200
    assert "rows" not in response.context
    assert "before the start date" in response.content.decode()
    assert admin_client.get(REPORT_CSV, query).status_code == 400
    assert admin_client.get(ORDERS_CSV, {"date_from": "soon"}).status_code == 400


def test_the_report_as_csv(admin_client, sales):
    response = admin_client.get(REPORT_CSV, {**_range(), "group_by": "shop"})

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    shop_a, shop_b = sales["shops"]
    assert read_csv(response) == [
        ["shop_id", "shop", "revenue", "orders", "units", "currency"],
        [str(shop_a.pk), "Alpha", "36.00", "2", "3", "USD"],
        # A name a spreadsheet would run as a formula is written as text.
        [str(shop_b.pk), "'=cmd|' /C calc'!A0", "25.50", "2", "3", "USD"],
    ]

    by_day = read_csv(admin_client.get(REPORT_CSV, {**_range(), "group_by": "day"}))
    today = timezone.localdate()
    assert by_day == [
        ["day", "revenue", "orders", "units", "currency"],
        [str(today - timedelta(days=9)), "8.50", "1", "1", "USD"],
        [str(today - timedelta(days=2)), "24.00", "1", "2", "USD"],
        [str(today), "29.00", "1", "3", "USD"],
    ]


def test_the_orders_of_a_range_as_csv(admin_client, sales):
    response = admin_client.get(ORDERS_CSV, _range())

    assert response.status_code == 200 and response.streaming
    header, *rows = read_csv(response)
    assert header[0] == "number" and header[-1] == "items"
    in_range = sorted(sales["orders"][:5], key=lambda order: order.created_at)
    assert [row[0] for row in rows] == [order.number for order in in_range]  # any status
    assert [row[2] for row in rows] == [order.status for order in in_range]
    assert [row[11] for row in rows] == ["1", "2", "5", "4", "3"]
    assert all(row[10] == "USD" for row in rows)
