"""The sales figures filter orders on a range of instants (an index on created_at serves
it), with the same days as before: from the first instant of `date_from` to the last of
`date_to`, in the current time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cart.services import cart_add_item, cart_get_for_user
from orders import selectors
from orders.models import Order, OrderStatus
from orders.services import order_place
from tests.factories import ProductFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db


def paid_order_at(moment: datetime) -> Order:
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(price="10.00"), quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, created_at=moment)
    return order


def test_the_days_are_inclusive_to_the_last_instant():
    day = date(2026, 3, 1)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    paid_order_at(start - timedelta(microseconds=1))  # the day before
    paid_order_at(start)
    paid_order_at(start + timedelta(days=1) - timedelta(microseconds=1))
    paid_order_at(start + timedelta(days=1))  # the day after

    assert selectors.sales_totals(date_from=day, date_to=day)["orders"] == 2
    assert selectors.sales_totals(date_from=day)["orders"] == 3
    assert selectors.sales_totals(date_to=day)["orders"] == 3
    assert selectors.sales_totals()["orders"] == 4
    rows = selectors.sales_report(date_from=day - timedelta(days=1), date_to=day)
    assert [(row["key"], row["orders"]) for row in rows] == [("2026-02-28", 1), ("2026-03-01", 2)]


def test_the_filter_compares_instants_not_dates():
    with CaptureQueriesContext(connection) as queries:
        selectors.sales_totals(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    sql = queries[-1]["sql"]
    assert '"orders_order"."created_at" >=' in sql and '"orders_order"."created_at" <' in sql
    assert "::date" not in sql and "AT TIME ZONE" not in sql
