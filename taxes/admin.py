"""The tax configuration in the admin: platform staff only, writes through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from core.admin import ServiceAdminMixin, StaffOnlyAdminMixin, errors_onto, fresh
from taxes.models import TaxRate, TaxSettings
from taxes.services import tax_rate_delete, tax_rate_save, tax_rates_load_eu, tax_settings_update


@admin.register(TaxSettings)
class TaxSettingsAdmin(StaffOnlyAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """The one row of the configuration: whether prices include tax, and the class of
    shipping. "Add" when there is none yet writes that row (tax_settings_update)."""

    list_display = ["__str__", "shipping_tax_class", "updated_at"]
    fields = ["prices_include_tax", "shipping_tax_class"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        with errors_onto(form):
            saved = tax_settings_update(
                prices_include_tax=form.cleaned_data["prices_include_tax"],
                shipping_tax_class=form.cleaned_data["shipping_tax_class"],
                by=request.user,
            )
        obj.pk = saved.pk


@admin.register(TaxRate)
class TaxRateAdmin(StaffOnlyAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["country", "region", "tax_class", "rate", "name"]
    list_filter = ["tax_class"]
    search_fields = ["country", "region"]
    actions = ["load_eu_rates"]

    def save_model(self, request, obj, form, change) -> None:
        data = {field: form.cleaned_data[field] for field in TaxRateFields}
        with errors_onto(form):
            saved = tax_rate_save(rate=fresh(obj) if change else None, data=data, by=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        tax_rate_delete(rate=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for rate in queryset:
            tax_rate_delete(rate=rate, by=request.user)

    @admin.action(description="Load the EU member states' VAT rates", permissions=["change"])
    def load_eu_rates(self, request: HttpRequest, queryset) -> None:
        count = tax_rates_load_eu(by=request.user)
        self.message_user(request, f"Wrote {count} EU VAT rates.", messages.SUCCESS)


TaxRateFields = ("country", "region", "tax_class", "rate", "name")
