"""Admin of orders.

Platform staff see every order, read-only: an order changes only through the services,
which the actions call (the same ones the API calls): moving it along and cancelling.
The payments app adds its own to this admin (the payments inline, "Refund in full")
through core.admin's registries: orders knows nothing of payments. Order lines, the
status history and the amounts are history and never edited here.

Shop members see "their order lines": the lines of their shops, nothing of other shops
and no whole orders; they run no actions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    SERVICE_ERRORS,
    ExtensibleAdminMixin,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    StaffOnlyAdminMixin,
    error_text,
    register_admin_index,
    register_admin_urls,
)
from orders import selectors
from orders.dashboard import index_context
from orders.exceptions import NothingToSend
from orders.forms import FulfilmentForm
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange, Shipment
from orders.policies import may_change_orders, may_view_sales
from orders.reports import report_urls
from orders.services import (
    order_cancel,
    order_fulfil,
    order_set_status,
)
from shops.admin_scoping import SellerScopedAdminMixin, is_seller

SHOWN_NUMBERS = 10  # order numbers named in one message, the rest counted


def _may_see_orders(request: HttpRequest) -> bool:
    return may_view_sales(request.user)


def _numbers(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:SHOWN_NUMBERS])
    more = len(numbers) - SHOWN_NUMBERS
    return (
        gettext("%(numbers)s and %(more)d more") % {"numbers": shown, "more": more}
        if more > 0
        else shown
    )


def _address(address: dict | None) -> str:
    if not address:
        return "—"
    parts = [
        address.get("full_name"),
        address.get("line1"),
        address.get("line2"),
        " ".join(filter(None, [address.get("postal_code"), address.get("city")])),
        address.get("region"),
        address.get("country"),
        address.get("phone"),
    ]
    return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts if part))


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """What an order is made of, shown to whoever may see the order; never edited."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        return _may_see_orders(request)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "product",
        "variant_options",
        "sku",
        "shop_name",
        "unit_price",
        "quantity",
        "line_total",
    ]
    readonly_fields = fields

    @admin.display(description=_("product"))
    def product(self, line: OrderLine) -> str:
        # The name as it was at checkout; the link (made from the id, without a query)
        # leads to the product as it is now.
        url = reverse("admin:catalog_product_change", args=[line.product_id])
        return format_html('<a href="{}">{}</a>', url, line.product_name)


class StatusHistoryInline(ReadOnlyInline):
    model = OrderStatusChange
    verbose_name = _("status change")
    verbose_name_plural = _("status history")
    fields = ["at", "from_status", "to_status", "by_email", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("by"))
    def by_email(self, change: OrderStatusChange) -> str:
        return change.by.email if change.by else gettext("the system")


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["shop_name", "method_name", "price", "tax_amount", "estimate", "status", "sent"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("fulfilments")

    @admin.display(description=_("sent"))
    def sent(self, shipment: Shipment) -> str:
        fulfilments = list(shipment.fulfilments.all())
        if not fulfilments:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "{} {} {}",
            (
                (
                    f"{f.created_at:%Y-%m-%d}",
                    f.carrier,
                    f.tracking_number or gettext("(no tracking)"),
                )
                for f in fulfilments
            ),
        )


@admin.register(Order)
class OrderAdmin(
    StaffOnlyAdminMixin,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    ExtensibleAdminMixin,
    admin.ModelAdmin,
):
    list_display = [
        "number",
        "user_email",
        "status",
        "total",
        "refunded_total",
        "item_count",
        "created_at",
    ]
    list_select_related = ["user"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["number", "user__email", "email"]
    search_help_text = _("Order number, customer email, or the order's id.")
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [OrderLineInline, ShipmentInline, StatusHistoryInline]
    fieldsets = [
        (None, {"fields": ["number", "id", "customer", "status", "created_at", "updated_at"]}),
        (
            _("Amounts"),
            {
                "fields": [
                    "currency",
                    "figures",
                    "subtotal",
                    "shipping_total",
                    "tax_total",
                    "discount_total",
                    "total",
                    "refunded_total",
                    "item_count",
                ]
            },
        ),
        (_("Addresses"), {"fields": ["shipping", "billing"]}),
        (_("Timeline"), {"fields": ["reserved_until", "paid_at", "cancelled_at"]}),
    ]
    readonly_fields = [
        "number",
        "id",
        "customer",
        "status",
        "created_at",
        "updated_at",
        "currency",
        "figures",
        "subtotal",
        "shipping_total",
        "tax_total",
        "discount_total",
        "total",
        "refunded_total",
        "item_count",
        "shipping",
        "billing",
        "reserved_until",
        "paid_at",
        "cancelled_at",
    ]
    actions = [
        "mark_processing",
        "mark_shipped",
        "mark_delivered",
        "cancel_orders",
        "export_csv",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(item_count=selectors.order_item_count())
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        try:
            order_id = uuid.UUID(term)
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(pk=order_id), False

    # An order is history (ReadOnlyAdminMixin): no form changes it, nobody adds or
    # deletes one here.

    # What the actions ask for.
    def has_manage_permission(self, request) -> bool:
        return may_change_orders(request.user)

    @admin.display(description=_("customer"), ordering="email")
    def user_email(self, order: Order) -> str:
        return (
            order.user.email
            if order.user_id
            else gettext("%(email)s (guest)") % {"email": order.email}
        )

    @admin.display(description=_("customer"))
    def customer(self, order: Order) -> str:
        if order.user_id is None:
            if order.awaiting_email:
                return gettext("%(email)s (a guest, waiting for the address to be confirmed)") % {
                    "email": order.email
                }
            return gettext("%(email)s (a guest)") % {"email": order.email}
        url = reverse("admin:accounts_user_change", args=[order.user_id])
        return format_html('<a href="{}">{}</a>', url, order.user.email)

    @admin.display(description=_("items"), ordering="item_count")
    def item_count(self, order: Order) -> int:
        return order.item_count

    @admin.display(description=_("totals"))
    def figures(self, order: Order) -> str:
        """The figures as the order page and the mails show them (one function)."""
        loaded = selectors.order_for_buyer(order_id=order.pk)
        rows = selectors.order_figures_for(order=loaded, user=loaded.user, sees_all=True).rows()
        return format_html_join(
            mark_safe("<br>"),
            '<span class="totals-{}">{}: {} {}</span>',
            ((row.kind, row.label, row.amount, order.currency) for row in rows),
        )

    @admin.display(description=_("shipping address"))
    def shipping(self, order: Order) -> str:
        return _address(order.shipping_address)

    @admin.display(description=_("billing address"))
    def billing(self, order: Order) -> str:
        if order.billing_address:
            return _address(order.billing_address)
        return gettext("Same as shipping")

    # --- Actions: each order on its own, so that one refusal leaves the others done ------

    def apply_to_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Order],
        apply: Callable[[Order], str | None],
        *,
        done: Callable[[int, str], str],
    ) -> None:
        """`apply` each order in its own savepoint; a refusal rolls back that order only.
        What `apply` answers is a warning about an order it did change. `done(count,
        numbers)` says what was done to them (ngettext)."""
        changed: list[str] = []
        refused: list[str] = []
        warnings: list[str] = []
        for order in queryset.order_by("created_at"):
            try:
                with transaction.atomic():
                    warning = apply(order)
            except SERVICE_ERRORS as error:
                refused.append(f"{order.number}: {error_text(error)}")
                continue
            changed.append(order.number)
            if warning:
                warnings.append(f"{order.number}: {warning}")
        if changed:
            self.message_user(request, done(len(changed), _numbers(changed)), messages.SUCCESS)
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)
        for refusal in refused:
            self.message_user(
                request, gettext("Not changed: %(reason)s") % {"reason": refusal}, messages.ERROR
            )

    def _set_status(self, request, queryset, status: str) -> None:
        label = str(OrderStatus(status).label).lower()

        def apply(order: Order) -> None:
            order_set_status(order=order, status=status, by=request.user)

        def done(count: int, numbers: str) -> str:
            return ngettext(
                "Marked %(status)s: %(count)d order: %(numbers)s.",
                "Marked %(status)s: %(count)d orders: %(numbers)s.",
                count,
            ) % {"status": label, "count": count, "numbers": numbers}

        self.apply_to_each(request, queryset, apply, done=done)

    @admin.action(description=_("Mark processing"), permissions=["manage"])
    def mark_processing(self, request, queryset) -> None:
        self._set_status(request, queryset, OrderStatus.PROCESSING)

    @admin.action(description=_("Mark shipped"), permissions=["manage"])
    def mark_shipped(self, request, queryset) -> None:
        self._set_status(request, queryset, OrderStatus.SHIPPED)

    @admin.action(description=_("Mark delivered"), permissions=["manage"])
    def mark_delivered(self, request, queryset) -> None:
        self._set_status(request, queryset, OrderStatus.DELIVERED)

    @admin.action(
        description=_("Cancel (stock returns, payments are refunded)"), permissions=["manage"]
    )
    def cancel_orders(self, request, queryset) -> None:
        def apply(order: Order) -> None:
            # The buyer reads the note in their language (orders.services).
            order_cancel(order=order, by=request.user, note=_("Cancelled by staff."))

        def done(count: int, numbers: str) -> str:
            return ngettext(
                "Cancelled %(count)d order: %(numbers)s.",
                "Cancelled %(count)d orders: %(numbers)s.",
                count,
            ) % {"count": count, "numbers": numbers}

        self.apply_to_each(request, queryset, apply, done=done)

    @admin.action(description=_("Export selected to CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        from orders.reports import orders_export

        orders = Order.objects.filter(pk__in=queryset.values("pk")).order_by("created_at")
        return orders_export(orders, filename="orders-selected.csv")


# --- Order lines: staff see all, shop members their shops' ------------------------------


@admin.register(OrderLine)
class OrderLineAdmin(SellerScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A shop member's "my order lines": what their shops sold, on whose orders they do
    not see the other shops' lines. Read-only for everyone."""

    seller_shop_field = "shop"
    list_display = [
        "order_number",
        "order_date",
        "order_status",
        "product_name",
        "variant_options",
        "sku",
        "shop_name",
        "quantity",
        "unit_price",
        "line_total",
    ]
    list_select_related = ["order"]
    list_filter = ["order__status", ("shop", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["order__number", "product_name", "sku"]
    date_hierarchy = "order__created_at"
    ordering = ["-order__created_at", "-id"]
    fields = [
        "order_number",
        "order_date",
        "order_status",
        "ship_to",
        "product_name",
        "variant_options",
        "sku",
        "shop_name",
        "unit_price",
        "quantity",
        "line_total",
    ]
    readonly_fields = fields

    actions = ["export_lines_csv", "fulfil_lines"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        lines = super().get_queryset(request).select_related("order")
        if is_seller(request):  # a guest's order waiting for its address: not theirs yet
            lines = lines.filter(order__awaiting_email=False)
        return lines

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (is_seller(request) or may_change_orders(request.user)):
            actions.pop("fulfil_lines", None)
        return actions

    @admin.action(description=_("Mark selected lines as sent (carrier and tracking)"))
    def fulfil_lines(self, request, queryset):
        """A page asking the carrier and tracking, then one fulfilment per order and
        shop of the selected lines, of all their units not sent yet (order_fulfil)."""
        form = FulfilmentForm(request.POST if "apply" in request.POST else None)
        lines = list(queryset.select_related("order").order_by("order_id", "shop_id", "id"))
        if form.is_bound and form.is_valid():
            groups: dict[tuple, list[OrderLine]] = {}
            for line in lines:
                groups.setdefault((line.order_id, line.shop_id), []).append(line)
            sent = []
            try:
                with transaction.atomic():
                    self._fulfil_groups(request, groups, form.cleaned_data, sent)
            except SERVICE_ERRORS as error:
                self.message_user(request, error_text(error), messages.ERROR)
                return None
            if sent:
                self.message_user(
                    request,
                    gettext("Marked as sent: %(numbers)s.") % {"numbers": _numbers(sent)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request, gettext("Those lines were all sent already."), messages.WARNING
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Mark lines as sent"),
            "opts": self.model._meta,
            "lines": lines,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": [line.pk for line in lines],
            "action_name": "fulfil_lines",
            "submit_label": gettext("Mark as sent"),
            "changelist_url": reverse("admin:orders_orderline_changelist"),
        }
        return TemplateResponse(request, "admin/orders/fulfil_lines.html", context)

    @staticmethod
    def _fulfil_groups(request, groups: dict, tracking: dict, sent: list[str]) -> None:
        """One fulfilment per order and shop, of every unit of the selected lines not
        sent yet (order_fulfil works that out under the order's lock)."""
        for (_order_id, shop_id), group in groups.items():
            order = group[0].order
            try:
                order_fulfil(
                    order=order,
                    shop_id=shop_id,
                    lines=[(line.pk, None) for line in group],
                    by=request.user,
                    **tracking,
                )
            except NothingToSend:
                continue
            sent.append(order.number)

    @admin.action(description=_("Export selected lines to CSV"), permissions=["view"])
    def export_lines_csv(self, request, queryset):
        from core.csv_export import csv_response
        from orders.selectors import ORDER_LINE_EXPORT_COLUMNS, order_line_export_rows

        lines = OrderLine.objects.filter(pk__in=queryset.values("pk"))
        return csv_response(
            filename="order-lines-selected.csv",
            header=ORDER_LINE_EXPORT_COLUMNS,
            rows=order_line_export_rows(lines),
        )

    def changelist_view(self, request, extra_context=None):
        if is_seller(request):
            extra_context = {"title": gettext("My order lines"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request):
        return [self._order_column(request), *self.list_display[1:]]

    def get_fields(self, request, obj=None):
        return [self._order_column(request), *self.fields[1:]]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @staticmethod
    def _order_column(request: HttpRequest) -> str:
        """Staff who may see orders follow a line to its order; shop members do not."""
        return "order_link" if _may_see_orders(request) else "order_number"

    @admin.display(description=_("order"), ordering="order__number")
    def order_number(self, line: OrderLine) -> str:
        return line.order.number

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, line: OrderLine) -> str:
        url = reverse("admin:orders_order_change", args=[line.order_id])
        return format_html('<a href="{}">{}</a>', url, line.order.number)

    @admin.display(description=_("placed"), ordering="order__created_at")
    def order_date(self, line: OrderLine):
        return line.order.created_at

    @admin.display(description=_("status"), ordering="order__status")
    def order_status(self, line: OrderLine) -> str:
        return line.order.get_status_display()

    @admin.display(description=_("ship to"))
    def ship_to(self, line: OrderLine) -> str:
        return _address(line.order.shipping_address)


# --- Status history ---------------------------------------------------------------------


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(StaffOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order_link", "from_status", "to_status", "at", "by_email", "note"]
    list_select_related = ["order", "by"]
    list_filter = ["to_status", "from_status", ("at", admin.DateFieldListFilter)]
    search_fields = ["order__number", "by__email", "note"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    fields = ["order_link", "from_status", "to_status", "at", "by_email", "note"]
    readonly_fields = fields

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, change: OrderStatusChange) -> str:
        url = reverse("admin:orders_order_change", args=[change.order_id])
        return format_html('<a href="{}">{}</a>', url, change.order.number)

    @admin.display(description=_("by"), ordering="by__email")
    def by_email(self, change: OrderStatusChange) -> str:
        return change.by.email if change.by else gettext("the system")


# The dashboards on the admin's index, and the sales reports under reports/.
register_admin_index(index_context)
register_admin_urls(report_urls)
