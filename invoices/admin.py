"""Invoices and credit notes in the admin: read-only (services issue them), a shop's
members see their shop's, each with its PDF."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from invoices.models import Invoice
from shops.admin_scoping import SellerScopedAdminMixin


@admin.register(Invoice)
class InvoiceAdmin(SellerScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "kind",
        "shop",
        "order_number",
        "total",
        "currency",
        "issued_at",
        "pdf_link",
    ]
    list_filter = ["kind", "year"]
    list_select_related = ["shop", "order"]
    search_fields = ["number", "order__number", "shop__name"]
    date_hierarchy = "issued_at"
    readonly_fields = ["pdf_link"]

    @admin.display(description=_("order"), ordering="order__number")
    def order_number(self, invoice: Invoice) -> str:
        return invoice.order.number

    @admin.display(description=_("PDF"))
    def pdf_link(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="{}">{}.pdf</a>', reverse("invoices:pdf", args=[invoice.pk]), invoice.number
        )
