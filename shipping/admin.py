"""Shipping zones and their methods in the admin: a shop's members manage their shops'
(seller scoping as for products), staff every shop's; writes go through the services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ServiceAdminMixin, errors_onto, fresh
from shipping.models import ShippingMethod, ShippingZone
from shipping.services import (
    shipping_method_create,
    shipping_method_delete,
    shipping_method_update,
    shipping_zone_create,
    shipping_zone_delete,
    shipping_zone_update,
)
from shops.admin_scoping import SellerScopedAdminMixin, is_seller, seller_shop_ids

METHOD_FIELDS = (
    "name",
    "kind",
    "price",
    "free_above",
    "min_days",
    "max_days",
    "is_active",
    "position",
)


def parse_tiers(text: str) -> list[dict]:
    """“1: 4.90, 5: 9.90” (up to kg: price) as the services take tiers."""
    tiers = []
    for part in (text or "").replace("\n", ",").split(","):
        if not part.strip():
            continue
        weight, _sep, price = part.partition(":")
        try:
            tiers.append({"up_to_kg": Decimal(weight.strip()), "price": Decimal(price.strip())})
        except InvalidOperation as error:
            raise forms.ValidationError(
                gettext("“%(part)s” is not “kg: price”.") % {"part": part.strip()}
            ) from error
    return tiers


class MethodForm(forms.ModelForm):
    tiers_text = forms.CharField(
        label=_("weight tiers"),
        required=False,
        help_text=_("By weight: “up to kg: price”, comma-separated (“1: 4.90, 5: 9.90”)."),
    )

    class Meta:
        model = ShippingMethod
        fields = [*METHOD_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tiers_text"].initial = ", ".join(
                f"{tier.up_to_kg.normalize()}: {tier.price}" for tier in self.instance.tiers.all()
            )

    def clean_tiers_text(self) -> list[dict]:
        return parse_tiers(self.cleaned_data.get("tiers_text", ""))


class ShippingMethodInline(SellerScopedAdminMixin, admin.TabularInline):
    model = ShippingMethod
    form = MethodForm
    seller_shop_field = "zone__shop"
    seller_can_add = seller_can_change = seller_can_delete = True
    fields = [*METHOD_FIELDS, "tiers_text"]
    extra = 0


class ZoneForm(forms.ModelForm):
    class Meta:
        model = ShippingZone
        fields = ["shop", "name", "countries", "regions"]
        widgets = {"countries": forms.SelectMultiple(attrs={"size": 10})}


@admin.register(ShippingZone)
class ShippingZoneAdmin(SellerScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """A zone without countries serves everywhere no other zone of the shop names."""

    form = ZoneForm
    seller_can_add = seller_can_change = seller_can_delete = True
    list_display = ["name", "shop", "countries_shown", "method_count"]
    list_select_related = ["shop"]
    list_filter = ["shop"]
    search_fields = ["name", "shop__name"]
    inlines = [ShippingMethodInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("methods")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "shop" and is_seller(request):
            from shops.models import Shop

            kwargs["queryset"] = Shop.objects.filter(pk__in=seller_shop_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["shop"] if obj is not None else []

    @admin.display(description=_("countries"))
    def countries_shown(self, zone: ShippingZone) -> str:
        return ", ".join(str(code) for code in zone.countries) or gettext("Everywhere else")

    @admin.display(description=_("methods"))
    def method_count(self, zone: ShippingZone) -> int:
        return len(zone.methods.all())

    def save_model(self, request, obj, form, change) -> None:
        data = {
            "name": form.cleaned_data["name"],
            "countries": list(form.cleaned_data.get("countries") or []),
            "regions": form.cleaned_data.get("regions") or [],
        }
        with errors_onto(form):
            if change:
                shipping_zone_update(zone=fresh(obj), data=data, by=request.user)
                return
            zone = shipping_zone_create(shop=form.cleaned_data["shop"], data=data, by=request.user)
        obj.pk = zone.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change) -> None:
        formset.save(commit=False)
        for method in formset.deleted_objects:
            shipping_method_delete(method=method, by=request.user)
        for row in formset.forms:
            if not row.has_changed() or row in formset.deleted_forms:
                continue
            data = {field: row.cleaned_data.get(field) for field in METHOD_FIELDS}
            data["tiers"] = row.cleaned_data.get("tiers_text") or []
            with errors_onto(row):
                if row.instance.pk:
                    shipping_method_update(method=fresh(row.instance), data=data, by=request.user)
                else:
                    shipping_method_create(zone=form.instance, data=data, by=request.user)

    def delete_model(self, request, obj) -> None:
        shipping_zone_delete(zone=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for zone in queryset:
            shipping_zone_delete(zone=zone, by=request.user)
