"""Sales reports in the admin (platform staff): the figures of GET /api/v1/reports/sales/
(orders.selectors.sales_report and sales_totals) over a chosen date range, grouped by
day, shop or category, as a page and as CSV; and the orders of a date range as CSV,
streamed so that a big export never sits in memory.

The admin site mounts these under /admin/reports/ (ShopAdminSite.get_urls).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.csv_export import csv_response
from orders import selectors
from orders.dashboard import sales_chart
from orders.models import Order
from orders.policies import may_view_sales

GROUPINGS = [
    ("day", gettext_lazy("Day")),
    ("shop", gettext_lazy("Shop")),
    ("category", gettext_lazy("Category")),
    ("product", gettext_lazy("Product")),
    ("variant", gettext_lazy("Variant")),
]
DEFAULT_DAYS = 30
CHART_MAX_DAYS = 92  # a bar per day stays readable up to about a quarter
CENT = Decimal("0.01")


def report_urls(site) -> list[URLPattern]:
    """The report pages, wrapped by the admin site (sign-in, CSRF, no caching)."""

    def sales_report(request: HttpRequest) -> TemplateResponse:
        return sales_report_page(request, site=site)

    return [
        path("reports/sales/", site.admin_view(sales_report), name="sales_report"),
        path("reports/sales.csv", site.admin_view(sales_report_csv), name="sales_report_csv"),
        path("reports/orders.csv", site.admin_view(orders_csv), name="orders_csv"),
        path(
            "reports/seller-statements.csv",
            site.admin_view(seller_statements_csv),
            name="seller_statements_csv",
        ),
    ]


class PeriodForm(forms.Form):
    """A report's period: order dates, both ends included (either open unless a report
    asks for both)."""

    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            cleaned.get("date_from")
            and cleaned.get("date_to")
            and cleaned["date_from"] > cleaned["date_to"]
        ):
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class SalesReportForm(PeriodForm):
    group_by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=GROUPINGS, initial="day")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_from"].required = self.fields["date_to"].required = True


def default_query(*, today: date | None = None) -> dict[str, Any]:
    """The last 30 days (today included), by day."""
    today = today or timezone.localdate()
    return {
        "date_from": today - timedelta(days=DEFAULT_DAYS - 1),
        "date_to": today,
        "group_by": "day",
    }


def _require_sales_access(request: HttpRequest) -> None:
    if not may_view_sales(request.user):
        raise PermissionDenied


def _read_query(request: HttpRequest) -> tuple[SalesReportForm, dict[str, Any] | None]:
    """The form, and the query it asks for (the defaults when nothing was asked; None
    when what was asked is invalid)."""
    if not any(key in request.GET for key in ("date_from", "date_to", "group_by")):
        query = default_query()
        return SalesReportForm(initial=query), query
    form = SalesReportForm(request.GET)
    return form, (form.cleaned_data if form.is_valid() else None)


def sales_report_page(request: HttpRequest, *, site) -> TemplateResponse:
    _require_sales_access(request)
    form, query = _read_query(request)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("Sales report"),
        "form": form,
        "query": query,
        "currency": settings.DEFAULT_CURRENCY,
    }
    if query is not None:
        dates = {"date_from": query["date_from"], "date_to": query["date_to"]}
        context["rows"] = selectors.sales_report(**dates, group_by=query["group_by"])
        context["totals"] = selectors.sales_totals(**dates)
        context["group_label"] = dict(GROUPINGS)[query["group_by"]]
        context["export_query"] = _query_string(query)
        context["orders_query"] = _query_string(dates)
        span = (query["date_to"] - query["date_from"]).days + 1
        if query["group_by"] == "day" and span <= CHART_MAX_DAYS:
            context["chart"] = sales_chart(
                selectors.sales_daily(**dates), currency=settings.DEFAULT_CURRENCY
            )
    return TemplateResponse(request, "admin/orders/sales_report.html", context)


def _query_string(query: dict[str, Any]) -> str:
    return urlencode({key: str(value) for key, value in query.items()})


def sales_report_csv(request: HttpRequest) -> HttpResponse:
    """The report's rows as on the page (and in the API), one line per group."""
    _require_sales_access(request)
    form, query = _read_query(request)
    if query is None:
        return HttpResponseBadRequest(
            _("Invalid report: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
            content_type="text/plain",
        )
    group_by = query["group_by"]
    rows = selectors.sales_report(
        date_from=query["date_from"], date_to=query["date_to"], group_by=group_by
    )
    currency = settings.DEFAULT_CURRENCY
    if group_by == "day":
        header = ["day", "revenue", "orders", "units", "currency"]
        lines = (
            [row["key"], row["revenue"], row["orders"], row["units"], currency] for row in rows
        )
    elif group_by == "variant":
        header = ["variant_id", "variant", "sku", "revenue", "orders", "units", "currency"]
        lines = (
            [row["key"], row["label"], row["sku"], *_measures_of(row), currency] for row in rows
        )
    else:
        header = [f"{group_by}_id", group_by, "revenue", "orders", "units", "currency"]
        lines = (
            [row["key"], row["label"], row["revenue"], row["orders"], row["units"], currency]
            for row in rows
        )
    filename = f"sales-by-{group_by}-{query['date_from']}-to-{query['date_to']}.csv"
    return csv_response(filename=filename, header=header, rows=lines)


def _measures_of(row: dict[str, Any]) -> list[Any]:
    return [row["revenue"], row["orders"], row["units"]]


def _money(value: Decimal) -> Decimal:
    # SQLite's sums come back with a long tail of zeros; money has two places.
    return value.quantize(CENT)


def orders_export(orders: QuerySet[Order], *, filename: str) -> StreamingHttpResponse:
    """`orders` as a CSV download, streamed (also the order admin's export action): the
    same columns as `manage.py export_orders` (orders.selectors.order_export_rows)."""
    return csv_response(
        filename=filename,
        header=selectors.ORDER_EXPORT_COLUMNS,
        rows=selectors.order_export_rows(orders),
    )


def orders_csv(request: HttpRequest) -> HttpResponse:
    """Every order placed in the range (any status), oldest first."""
    _require_sales_access(request)
    form = SalesReportForm(
        {"group_by": "day", **{key: request.GET.get(key, "") for key in ("date_from", "date_to")}}
    )
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("Choose date_from and date_to (YYYY-MM-DD), the start first."),
            content_type="text/plain",
        )
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    orders = Order.objects.filter(
        selectors.created_between(date_from=date_from, date_to=date_to)
    ).order_by("created_at", "number")
    return orders_export(orders, filename=f"orders-{date_from}-to-{date_to}.csv")


def seller_statements_csv(request: HttpRequest) -> HttpResponse:
    """Each shop's statement over `date_from`..`date_to` as CSV: staff who may see the
    sales, every shop; a shop's owners, theirs (orders.policies.statement_shop_ids)."""
    from orders.exceptions import StatementsNotPermitted
    from orders.management.commands.seller_statements import statement_rows

    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("Invalid period: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
            content_type="text/plain",
        )
    try:
        statements = selectors.seller_statements_for(user=request.user, **form.cleaned_data)
    except StatementsNotPermitted as refused:
        raise PermissionDenied(refused.detail) from refused
    return csv_response(
        filename="seller-statements.csv",
        header=selectors.STATEMENT_COLUMNS,
        rows=statement_rows(statements),
    )
