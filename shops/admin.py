"""Admin of shops and memberships for platform staff: every write goes through
shops.services, and a service's refusal comes back as a form error or an admin message.

The service-error plumbing (`ServiceAdminMixin`, `errors_onto`) lives in config/admin.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.admin import UserAdmin
from config.admin import (
    ServiceAdminMixin,
    errors_onto,
    fresh,
    plural,
)
from shops.models import Shop, ShopMembership
from shops.services import (
    SHOP_FIELDS,
    membership_add,
    membership_remove,
    shop_deactivate,
    shop_update,
    unique_slug,
)


class MembershipForm(forms.ModelForm):
    def clean_user(self):
        user = self.cleaned_data.get("user")
        if self.instance.pk and user is not None and user.pk != self.instance.user_id:
            raise ValidationError(
                "A membership does not move to another person: remove it and add a new one."
            )
        return user


def save_memberships(*, request: HttpRequest, shop: Shop, formset: forms.BaseModelFormSet) -> None:
    """Apply an edited formset of memberships through the services: additions first, then
    role changes, then removals, so that replacing a shop's only owner in one save works."""
    formset.save(commit=False)  # works out new_objects, changed_objects, deleted_objects
    rows = {id(row.instance): row for row in formset.forms}
    for membership in formset.new_objects:
        with errors_onto(rows[id(membership)], email="user"):
            added = membership_add(
                shop=shop, email=membership.user.email, role=membership.role, by=request.user
            )
        membership.pk = added.pk
    for membership, _changed in formset.changed_objects:
        with errors_onto(rows[id(membership)], email="user"):
            membership_add(
                shop=shop, email=membership.user.email, role=membership.role, by=request.user
            )
    for membership in formset.deleted_objects:
        with errors_onto(rows[id(membership)]):
            membership_remove(membership=fresh(membership), by=request.user)


class ShopMembershipInline(admin.TabularInline):
    model = ShopMembership
    form = MembershipForm
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class UserShopMembershipInline(admin.TabularInline):
    """On a person's page: the shops they belong to. Shown, not edited here: changes go
    through the shop's page or the membership's own, which call the services."""

    model = ShopMembership
    verbose_name = "shop membership"
    fields = ["shop", "role", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        # Not super(): it asks has_view_permission() without a user, which answers no here.
        queryset = ShopMembership.objects.select_related("shop")
        return queryset if super().has_view_permission(request) else queryset.none()

    def has_view_permission(self, request, obj=None) -> bool:
        # Only on the pages of people who belong to a shop (not on the add page): most
        # people are customers, and an empty table on their pages says nothing.
        return (
            super().has_view_permission(request, obj)
            and obj is not None
            and obj.shop_memberships.exists()
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# accounts may not import shops (it sits beside it), so the shops app adds its inline to
# the user page itself.
UserAdmin.inlines = [*UserAdmin.inlines, UserShopMembershipInline]


@admin.register(ShopMembership)
class ShopMembershipAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = MembershipForm
    list_display = ["shop", "user_email", "role", "created_at"]
    list_select_related = ["shop", "user"]
    list_filter = ["role"]
    search_fields = ["shop__name", "shop__slug", "user__email"]
    autocomplete_fields = ["shop", "user"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["shop", "user"]  # only the role of a membership changes
        return readonly

    @admin.display(description="user", ordering="user__email")
    def user_email(self, membership: ShopMembership) -> str:
        return membership.user.email

    def save_model(self, request, obj, form, change) -> None:
        with errors_onto(form, email="user"):
            saved = membership_add(
                shop=obj.shop, email=obj.user.email, role=obj.role, by=request.user
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj) -> None:
        membership_remove(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset.select_related("shop", "user"):
            membership_remove(membership=membership, by=request.user)


# --- Shops ------------------------------------------------------------------------------


class ShopForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Left empty, it is made from the name."


@admin.register(Shop)
class ShopAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = ShopForm
    list_display = ["name", "slug", "is_active", "members_count", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    fields = [
        "name",
        "slug",
        "description",
        "address",
        "email",
        "phone",
        "is_active",
        "low_stock_threshold",
        "created_at",
        "updated_at",
    ]
    inlines = [ShopMembershipInline]
    actions = ["activate_shops", "deactivate_shops"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shop]:
        return super().get_queryset(request).annotate(members_count=Count("memberships"))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("slug")  # it is in the shop's addresses; the services keep it
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A shop leaves the catalog by being deactivated; its products and orders stay.
        return False

    @admin.display(description="members", ordering="members_count")
    def members_count(self, shop: Shop) -> int:
        return shop.members_count

    def save_model(self, request, obj, form, change) -> None:
        data = {field: form.cleaned_data[field] for field in (*SHOP_FIELDS, "is_active")}
        if change:
            with errors_onto(form):
                shop_update(shop=fresh(obj), data=data, by=request.user)
            return
        # shop_create makes the caller the owner; staff opening a shop for a seller choose
        # its owners in the memberships below instead, so the shop is saved here.
        obj.slug = form.cleaned_data.get("slug") or unique_slug(Shop, obj.name)
        with errors_onto(form):
            obj.full_clean()
            obj.save()

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is ShopMembership:
            save_memberships(request=request, shop=form.instance, formset=formset)
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description="Activate selected shops", permissions=["change"])
    def activate_shops(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        count = 0
        for shop in queryset:
            shop_update(shop=shop, data={"is_active": True}, by=request.user)
            count += 1
        self.message_user(request, f"Activated {plural(count, 'shop')}.", messages.SUCCESS)

    @admin.action(description="Deactivate selected shops", permissions=["change"])
    def deactivate_shops(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        count = 0
        for shop in queryset:
            shop_deactivate(shop=shop, by=request.user)
            count += 1
        self.message_user(
            request,
            f"Deactivated {plural(count, 'shop')}; their products left the catalog.",
            messages.SUCCESS,
        )
