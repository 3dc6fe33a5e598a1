"""Promotions and their codes in the admin: a shop's members see their shops'
promotions (its owners change them: promotions.policies), staff every one and the
platform's. Writes go through promotions.services; codes are generated and exported
as CSV from an action, and each code's use (orders, discount given, revenue) is listed."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    SERVICE_ERRORS,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    errors_onto,
    fresh,
)
from core.csv_export import csv_response
from core.forms import error_text
from promotions import selectors
from promotions.models import Promotion, Voucher
from promotions.services import (
    SCALARS,
    TARGETS,
    VOUCHER_CSV_HEADER,
    promotion_create,
    promotion_delete,
    promotion_update,
    voucher_create,
    voucher_csv_rows,
    voucher_delete,
    voucher_update,
    vouchers_generate,
)
from shops.admin_scoping import SellerScopedAdminMixin, is_seller, seller_shop_ids


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = ["shop", *SCALARS, *TARGETS]

    def __init__(self, *args, shop_ids=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if shop_ids is not None:  # a seller: their shops' products and variants
            for name, lookup in (("products", "shop_id__in"), ("variants", "product__shop_id__in")):
                if name in self.fields:
                    self.fields[name].queryset = self.fields[name].queryset.filter(
                        **{lookup: shop_ids}
                    )
        for name in ("products", "variants"):
            if name in self.fields:
                self.fields[name].queryset = self.fields[name].queryset.select_related(
                    *(["product"] if name == "variants" else [])
                )


class VoucherInline(SellerScopedAdminMixin, admin.TabularInline):
    model = Voucher
    seller_shop_field = "promotion__shop"
    seller_can_add = seller_can_change = seller_can_delete = True
    fields = ["code", "usage_limit", "used_count"]
    readonly_fields = ["used_count"]
    extra = 0
    show_change_link = False
    max_num = 200  # generated batches are many: the code list is the place for them

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("id")

    def get_readonly_fields(self, request, obj=None):
        return ["used_count"]


class GenerateForm(forms.Form):
    count = forms.IntegerField(label=_("Count"), min_value=1, max_value=10_000, initial=100)
    prefix = forms.CharField(label=_("Prefix"), max_length=20, required=False)
    usage_limit = forms.IntegerField(
        label=_("Usage limit"),
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        initial=1,
        help_text=_("Uses of each code; empty: no limit."),
    )


@admin.register(Promotion)
class PromotionAdmin(SellerScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = PromotionForm
    seller_can_add = seller_can_change = seller_can_delete = True
    list_display = ["name", "shop_shown", "kind", "reward_shown", "window", "used", "is_active"]
    list_filter = ["kind", "reward", "is_active"]
    list_select_related = ["shop"]
    search_fields = ["name", "vouchers__code"]
    inlines = [VoucherInline]
    actions = ["generate_codes", "export_codes"]
    # A catalog holds far too many products and variants for a list to pick from.
    raw_id_fields = ["products", "variants", "shops"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        shop_ids = seller_shop_ids(request) if is_seller(request) else None

        class ScopedForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, shop_ids=shop_ids, **inner)

        ScopedForm.__name__ = form.__name__
        return ScopedForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "shop" and is_seller(request):
            from shops.models import Shop

            kwargs["queryset"] = Shop.objects.filter(pk__in=seller_shop_ids(request))
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["used_count"]
        return [*fixed, "shop", "kind"] if obj is not None else fixed

    def get_fields(self, request, obj=None):
        fields = ["shop", *SCALARS, *TARGETS, "used_count"]
        if is_seller(request):
            fields.remove("shops")
        return fields

    @admin.display(description=_("shop"))
    def shop_shown(self, promotion: Promotion) -> str:
        return promotion.shop.name if promotion.shop_id else gettext("Platform")

    @admin.display(description=_("reward"))
    def reward_shown(self, promotion: Promotion) -> str:
        return promotion.reward_text

    @admin.display(description=_("runs"))
    def window(self, promotion: Promotion) -> str:
        def when(moment):
            return moment.strftime("%Y-%m-%d %H:%M") if moment else "…"

        if not (promotion.starts_at or promotion.ends_at):
            return gettext("Always")
        return gettext("%(start)s to %(end)s") % {
            "start": when(promotion.starts_at),
            "end": when(promotion.ends_at),
        }

    @admin.display(description=_("used"))
    def used(self, promotion: Promotion) -> str:
        if promotion.usage_limit is None:
            return str(promotion.used_count)
        return gettext("%(used)s of %(limit)s") % {
            "used": promotion.used_count,
            "limit": promotion.usage_limit,
        }

    def save_model(self, request, obj, form, change) -> None:
        data = {
            field: form.cleaned_data.get(field) for field in SCALARS if field in form.cleaned_data
        }
        for field in TARGETS:
            if field in form.cleaned_data:
                data[field] = list(form.cleaned_data[field])
        with errors_onto(form):
            if change:
                promotion_update(promotion=fresh(obj), data=data, by=request.user)
                return
            promotion = promotion_create(
                shop=form.cleaned_data.get("shop"), data=data, by=request.user
            )
        obj.pk = promotion.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        # The targets were written by the service; only the codes are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change) -> None:
        formset.save(commit=False)
        promotion = Promotion.objects.get(pk=form.instance.pk)
        for voucher in formset.deleted_objects:
            voucher_delete(voucher=voucher, by=request.user)
        for row in formset.forms:
            if not row.has_changed() or row in formset.deleted_forms:
                continue
            data = {
                "code": row.cleaned_data["code"],
                "usage_limit": row.cleaned_data.get("usage_limit"),
            }
            with errors_onto(row):
                if row.instance.pk:
                    voucher_update(voucher=fresh(row.instance), data=data, by=request.user)
                else:
                    voucher_create(promotion=promotion, by=request.user, **data)

    def delete_model(self, request, obj) -> None:
        promotion_delete(promotion=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for promotion in queryset:
            promotion_delete(promotion=promotion, by=request.user)

    @admin.action(description=_("Generate single-use codes for the selected promotion"))
    def generate_codes(self, request, queryset):
        promotions = list(queryset[:2])
        if len(promotions) != 1:
            self.message_user(request, gettext("Select one promotion."), messages.WARNING)
            return None
        promotion = promotions[0]
        form = GenerateForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                made = vouchers_generate(
                    promotion=promotion,
                    count=form.cleaned_data["count"],
                    prefix=form.cleaned_data.get("prefix") or "",
                    usage_limit=form.cleaned_data.get("usage_limit"),
                    by=request.user,
                )
            except SERVICE_ERRORS as error:
                self.message_user(request, error_text(error), messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext(
                    "%(count)d codes made for “%(name)s”: export them as CSV.",
                    "%(count)d codes made for “%(name)s”: export them as CSV.",
                    len(made),
                )
                % {"count": len(made), "name": promotion.name},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Generate codes for “%(name)s”") % {"name": promotion.name},
            "opts": self.model._meta,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": [promotion.pk],
            "action_name": "generate_codes",
            "submit_label": gettext("Generate"),
            "changelist_url": reverse("admin:promotions_promotion_changelist"),
        }
        return TemplateResponse(request, "admin/promotions/generate_codes.html", context)

    @admin.action(description=_("Export the selected promotions' codes as CSV"))
    def export_codes(self, request, queryset):
        vouchers = (
            Voucher.objects.filter(promotion__in=queryset)
            .select_related("promotion")
            .order_by("promotion_id", "id")
        )
        return csv_response(
            filename="codes.csv",
            header=VOUCHER_CSV_HEADER,
            rows=voucher_csv_rows(vouchers.iterator(chunk_size=2000)),
        )


@admin.register(Voucher)
class VoucherAdmin(SellerScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The usage report: each code's orders (uses held), the discount it gave and the
    totals of those orders. Codes are made and removed on their promotion."""

    seller_shop_field = "promotion__shop"
    list_display = ["code", "promotion", "used_shown", "orders", "discount_given", "revenue"]
    list_select_related = ["promotion"]
    list_filter = ["promotion__kind", "promotion"]
    search_fields = ["code", "promotion__name"]
    readonly_fields = ["promotion", "code", "usage_limit", "used_count", "created_at"]

    def get_queryset(self, request):
        return selectors.voucher_usage(super().get_queryset(request))

    @admin.display(description=_("used"))
    def used_shown(self, voucher: Voucher) -> str:
        if voucher.usage_limit is None:
            return str(voucher.used_count)
        return gettext("%(used)s of %(limit)s") % {
            "used": voucher.used_count,
            "limit": voucher.usage_limit,
        }

    @admin.display(description=_("orders"), ordering="orders")
    def orders(self, voucher: Voucher) -> int:
        return voucher.orders

    @admin.display(description=_("discount given"), ordering="discount_given")
    def discount_given(self, voucher: Voucher):
        return voucher.discount_given

    @admin.display(description=_("revenue"), ordering="revenue")
    def revenue(self, voucher: Voucher):
        return voucher.revenue
