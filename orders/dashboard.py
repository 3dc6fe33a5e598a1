"""The admin's index page: a sales dashboard for platform staff, and a short page of
their own shops for shop members.

Every figure is a database aggregate (orders.selectors), so the page costs the same
fixed number of queries whatever the number of orders. Sales follow the definition of
the sales report and of GET /api/v1/reports/sales/: lines of paid, processing, shipped
and delivered orders (`SALES_STATUSES`), dated by the order's `created_at` in the site's
time zone (UTC), today included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, QuerySet, Window
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.models import ProductVariant
from orders import selectors
from orders.models import OrderLine, OrderStatus
from orders.policies import may_view_sales
from shops.admin_scoping import is_seller, seller_shop_ids

PERIODS = (
    (1, gettext_lazy("Today")),
    (7, gettext_lazy("Last 7 days")),
    (30, gettext_lazy("Last 30 days")),
)
CHART_DAYS = 30
TOP_LIMIT = 5
LOW_STOCK_LIMIT = 10
RECENT_LIMIT = 10


def index_context(request) -> dict[str, Any]:
    """What the admin's index shows above the list of apps: the sales dashboard to staff
    who may see orders, the shops' own page to shop members, nothing to others."""
    user = request.user
    if user.is_staff:
        return {"dashboard": staff_dashboard()} if may_view_sales(user) else {}
    if is_seller(request):
        return {"seller_dashboard": seller_dashboard(shop_ids=seller_shop_ids(request))}
    return {}


# --- Platform staff ---------------------------------------------------------------------


def staff_dashboard(*, today: date | None = None) -> dict[str, Any]:
    """The dashboard's figures, in six queries whatever the number of orders."""
    today = today or timezone.localdate()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    days = selectors.sales_daily(date_from=first_day, date_to=today)
    status_counts = selectors.order_status_counts()
    low_stock = low_stock_products(limit=LOW_STOCK_LIMIT)
    return {
        "today": today,
        "currency": settings.DEFAULT_CURRENCY,
        "periods": periods_of(days, today=today),
        "statuses": [
            {"value": value, "label": label, "count": status_counts[value]}
            for value, label in OrderStatus.choices
        ],
        "orders_total": sum(status_counts.values()),
        "chart": sales_chart(days, currency=settings.DEFAULT_CURRENCY),
        "top_products": selectors.sales_top_products(
            date_from=first_day, date_to=today, limit=TOP_LIMIT
        ),
        "top_shops": selectors.sales_top_shops(date_from=first_day, date_to=today, limit=TOP_LIMIT),
        "low_stock": low_stock,
        "recent_orders": list(
            selectors.order_list_with_item_count().order_by("-created_at")[:RECENT_LIMIT]
        ),
        "date_from": first_day,
    }


def periods_of(days: list[dict[str, Any]], *, today: date) -> list[dict[str, Any]]:
    """Revenue and orders of today, the last 7 and the last 30 days, added up from the
    daily rows: an order has one date, so the orders of the days add up to the distinct
    orders of the period."""
    periods = []
    for length, label in PERIODS:
        since = today - timedelta(days=length - 1)
        inside = [day for day in days if since <= day["day"] <= today]
        periods.append(
            {
                "days": length,
                "label": label,
                "date_from": since,
                "revenue": sum((day["revenue"] for day in inside), Decimal("0.00")),
                "discounts": sum((day["discounts"] for day in inside), Decimal("0.00")),
                "orders": sum(day["orders"] for day in inside),
            }
        )
    return periods


# --- Shop members -----------------------------------------------------------------------


def seller_dashboard(*, shop_ids: set[int]) -> dict[str, Any]:
    """A shop member's index: their products running low and their latest order lines."""
    return {
        "low_stock": low_stock_products(shop_ids=shop_ids, limit=LOW_STOCK_LIMIT),
        "recent_lines": list(
            # Not a guest's order that waits for its address (orders.selectors).
            OrderLine.objects.filter(shop_id__in=shop_ids, order__awaiting_email=False)
            .select_related("order")
            .order_by("-order__created_at", "-id")[:RECENT_LIMIT]
        ),
    }


# --- Stock ------------------------------------------------------------------------------


def low_stock_queryset(*, shop_ids: set[int] | None = None) -> QuerySet[ProductVariant]:
    """Variants on sale (of published products) whose stock is below their shop's
    threshold (the level at which owners are warned), the emptiest first."""
    variants = ProductVariant.objects.filter(
        is_active=True,
        deleted_at__isnull=True,
        product__is_active=True,
        product__deleted_at__isnull=True,
        stock_quantity__lt=F("shop__low_stock_threshold"),
    )
    if shop_ids is not None:
        variants = variants.filter(shop_id__in=shop_ids)
    return variants.select_related("shop", "product").order_by(
        "stock_quantity", "product__name", "position", "id"
    )


def low_stock_products(*, shop_ids: set[int] | None = None, limit: int) -> dict[str, Any]:
    """The `limit` emptiest, and how many there are in all (one query: the count is a
    window over the whole set, taken before the limit)."""
    shown = list(
        low_stock_queryset(shop_ids=shop_ids).annotate(low_count=Window(Count("pk")))[:limit]
    )
    return {"variants": shown, "count": shown[0].low_count if shown else 0}


# --- The chart: server-made SVG ---------------------------------------------------------

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 52, 16, 44
GRID_LINES = 4


@dataclass
class Chart:
    """Geometry of a bar (revenue) and line (orders) chart, drawn by
    templates/admin/dashboard/sales_chart.html."""

    title: str
    description: str
    currency: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: float = WIDTH - RIGHT
    top: int = TOP
    bottom: float = HEIGHT - BOTTOM
    bars: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    grid: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{point['x']},{point['y']}" for point in self.points)

    # Axis titles are turned a quarter (left: up, right: down), so their x and y swap.
    @property
    def left_title_x(self) -> float:
        return -round((self.top + self.bottom) / 2, 1)

    @property
    def right_title_x(self) -> float:
        return round((self.top + self.bottom) / 2, 1)

    @property
    def left_labels_x(self) -> float:
        return self.left - 6

    @property
    def right_labels_x(self) -> float:
        return self.right + 6

    @property
    def dates_y(self) -> float:
        return self.bottom + 16

    @property
    def right_title_y(self) -> float:
        return -(self.width - 20)


def nice_step(value: float, *, whole: bool = False) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (a
    whole number when `whole`), so that axis labels read well."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * 10**exponent
        if whole and step != int(step):
            continue
        if step >= value * (1 - 1e-9):
            return int(step) if whole or step == int(step) else step
    return 10 ** (exponent + 1)  # pragma: no cover - 10 always qualifies


def _money_label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _day(day: date) -> str:
    return dateformat.format(day, "j M")  # 3 Dec, the month in the reader's language


def sales_chart(days: list[dict[str, Any]], *, currency: str) -> Chart:
    """Bars of each day's revenue on the left axis, a line of each day's orders on the
    right one; both axes share the grid lines."""
    count = len(days)
    first, last = days[0]["day"], days[-1]["day"]
    revenue_total = sum((day["revenue"] for day in days), Decimal("0.00"))
    orders_total = sum(day["orders"] for day in days)
    chart = Chart(
        title=_("Daily revenue and orders, %(first)s to %(last)s %(year)s")
        % {"first": _day(first), "last": _day(last), "year": last.year},
        description=ngettext(
            "Bars: revenue per day in %(currency)s; line: orders per day (paid or further "
            "along, by the day they were placed). Over the %(days)d days, %(revenue)s "
            "%(currency)s in %(orders)d order.",
            "Bars: revenue per day in %(currency)s; line: orders per day (paid or further "
            "along, by the day they were placed). Over the %(days)d days, %(revenue)s "
            "%(currency)s in %(orders)d orders.",
            orders_total,
        )
        % {
            "currency": currency,
            "days": count,
            "revenue": f"{revenue_total:,.2f}",
            "orders": orders_total,
        },
        currency=currency,
    )
    plot_width = chart.right - chart.left
    plot_height = chart.bottom - chart.top
    revenue_step = nice_step(float(max(day["revenue"] for day in days)) / GRID_LINES)
    orders_step = nice_step(max(day["orders"] for day in days) / GRID_LINES, whole=True)
    revenue_top = revenue_step * GRID_LINES
    orders_top = orders_step * GRID_LINES
    for line in range(GRID_LINES + 1):
        chart.grid.append(
            {
                "y": round(chart.bottom - plot_height * line / GRID_LINES, 1),
                "revenue": _money_label(revenue_step * line),
                "orders": f"{orders_step * line:g}",
            }
        )

    slot = plot_width / count
    bar_width = round(max(slot * 0.64, 1.0), 1)
    label_every = max(1, math.ceil(count / 7))
    for index, day in enumerate(days):
        centre = chart.left + slot * (index + 0.5)
        tip = ngettext(
            "%(weekday)s %(day)s: %(revenue)s %(currency)s, %(orders)d order",
            "%(weekday)s %(day)s: %(revenue)s %(currency)s, %(orders)d orders",
            day["orders"],
        ) % {
            "weekday": dateformat.format(day["day"], "D"),
            "day": _day(day["day"]),
            "revenue": f"{day['revenue']:,.2f}",
            "currency": currency,
            "orders": day["orders"],
        }
        chart.days.append({**day, "tip": tip})
        if day["revenue"] > 0:
            height = plot_height * float(day["revenue"]) / revenue_top
            chart.bars.append(
                {
                    "x": round(centre - bar_width / 2, 1),
                    "y": round(chart.bottom - height, 1),
                    "width": bar_width,
                    "height": round(height, 1),
                    "tip": tip,
                }
            )
        chart.points.append(
            {
                "x": round(centre, 1),
                "y": round(chart.bottom - plot_height * day["orders"] / orders_top, 1),
                "orders": day["orders"],
                "tip": tip,
            }
        )
        if (count - 1 - index) % label_every == 0:
            chart.labels.append({"x": round(centre, 1), "text": _day(day["day"])})
    return chart
