"""Admin of shops and memberships: every write goes through shops.services, and a
service's refusal comes back as a form error or an admin message.

Platform staff see every shop and membership. A shop member who is not staff sees only
their shops: its owners change its details (not its slug, which is in its web address,
nor whether it is open: that stays with platform staff) and its members, by email
address, in the inline; its staff members see it read-only. The memberships list and
the user pages are for platform staff only.

The service-error plumbing (`ServiceAdminMixin`, `errors_onto`) lives in config/admin.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    OptionalSlugForm,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    StaffOnlyAdminMixin,
    errors_onto,
    fresh,
    register_admin_access,
    register_admin_inline,
)
from shops.admin_scoping import SellerScopedAdminMixin, is_seller
from shops.models import Shop, ShopMembership
from shops.selectors import user_shop_ids
from shops.services import (
    SHOP_FIELDS,
    membership_add,
    membership_remove,
    shop_approve,
    shop_create,
    shop_deactivate,
    shop_set_commission_rate,
    shop_update,
)


class MembershipForm(forms.ModelForm):
    def clean_user(self):
        user = self.cleaned_data.get("user")
        if self.instance.pk and user is not None and user.pk != self.instance.user_id:
            raise ValidationError(
                gettext(
                    "A membership does not move to another person: remove it and add a new one."
                )
            )
        return user


class SellerMembershipForm(forms.ModelForm):
    """For shop owners: a person is added by the email address of their account (as on
    the shop's members page), since the list of everyone's accounts is not theirs to
    browse; an existing row shows the address and changes only its role."""

    email = forms.EmailField(label=_("email address"))

    class Meta:
        model = ShopMembership
        fields = ["role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True


def _member_email(row: forms.BaseForm, membership: ShopMembership) -> str:
    return row.cleaned_data.get("email") or membership.user.email


def _email_errors_onto(row: forms.BaseForm):
    """The services name the person's field `email`; the staff form calls it `user`."""
    return errors_onto(row, email="user") if "user" in row.fields else errors_onto(row)


def save_memberships(*, request: HttpRequest, shop: Shop, formset: forms.BaseModelFormSet) -> None:
    """Apply an edited formset of memberships through the services: additions first, then
    role changes, then removals, so that replacing a shop's only owner in one save works."""
    formset.save(commit=False)  # works out new_objects, changed_objects, deleted_objects
    rows = {id(row.instance): row for row in formset.forms}
    for index, membership in enumerate(formset.new_objects):
        row = rows[id(membership)]
        with _email_errors_onto(row):
            added = membership_add(
                shop=shop,
                email=_member_email(row, membership),
                role=membership.role,
                by=request.user,
            )
        formset.new_objects[index] = added  # as saved, with its person (the change log)
    for membership, _changed in formset.changed_objects:
        row = rows[id(membership)]
        with _email_errors_onto(row):
            membership_add(
                shop=shop,
                email=_member_email(row, membership),
                role=membership.role,
                by=request.user,
            )
    for membership in formset.deleted_objects:
        with errors_onto(rows[id(membership)]):
            membership_remove(membership=fresh(membership), by=request.user)


def _owned_shop_ids(request: HttpRequest) -> set[int]:
    """The shops the signed-in person owns (asked once per request)."""
    if not hasattr(request, "_owned_shop_ids"):
        request._owned_shop_ids = user_shop_ids(
            user=request.user, roles=(ShopMembership.Role.OWNER,)
        )
    return request._owned_shop_ids


def _seller_owns(request: HttpRequest, shop: Shop | None) -> bool:
    """Whether a seller owns `shop` (None: any of their shops, as for a list)."""
    owned = _owned_shop_ids(request)
    return shop.pk in owned if shop is not None else bool(owned)


class ShopMembershipInline(SellerScopedAdminMixin, admin.TabularInline):
    """Platform staff choose people from the user list; a shop's owners add them by email
    address (SellerMembershipForm); its staff members see the members, read-only."""

    model = ShopMembership
    form = MembershipForm
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("member"))
    def member(self, membership: ShopMembership) -> str:
        return membership.user.email

    def get_fields(self, request, obj=None):
        if not is_seller(request):
            return super().get_fields(request, obj)
        if _seller_owns(request, obj):
            return ["email", "role", "created_at"]
        return ["member", "role", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "member"] if is_seller(request) else readonly

    def get_formset(self, request, obj=None, **kwargs):
        if is_seller(request):
            kwargs["form"] = SellerMembershipForm
        return super().get_formset(request, obj, **kwargs)

    # obj is the shop whose page this is.
    def has_add_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return obj is not None and _seller_owns(request, obj)
        return super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return obj is not None and _seller_owns(request, obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return obj is not None and _seller_owns(request, obj)
        return super().has_delete_permission(request, obj)


class UserShopMembershipInline(StaffOnlyAdminMixin, ReadOnlyAdminMixin, admin.TabularInline):
    """On a person's page: the shops they belong to. Shown, not edited here: changes go
    through the shop's page or the membership's own, which call the services."""

    model = ShopMembership
    verbose_name = _("shop membership")
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


# accounts knows nothing of shops (it sits below): shops adds its inline to the user page,
# and lets shop members into the admin, through core.admin's registries.
register_admin_inline("accounts.user", UserShopMembershipInline)
register_admin_access(is_seller)


@admin.register(ShopMembership)
class ShopMembershipAdmin(StaffOnlyAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
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

    @admin.display(description=_("user"), ordering="user__email")
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


class AwaitingApprovalFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("pending", _("Awaiting approval")), ("approved", _("Approved"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(approved_at__isnull=True)
        if self.value() == "approved":
            return queryset.filter(approved_at__isnull=False)
        return queryset


@admin.register(Shop)
class ShopAdmin(SellerScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = OptionalSlugForm
    seller_shop_field = "pk"
    # Explicit: the members count's GROUP BY drops the model's default ordering, and the
    # autocomplete pages through this queryset.
    ordering = ["name", "id"]
    list_display = ["name", "slug", "is_active", "members_count", "created_at"]
    list_filter = ["is_active", AwaitingApprovalFilter, "closed_by_staff"]
    search_fields = ["name", "slug", "email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["approved_at", "closed_by_staff", "created_at", "updated_at"]
    fields = [
        "name",
        "slug",
        "description",
        "address",
        "email",
        "phone",
        "is_active",
        "approved_at",
        "closed_by_staff",
        "low_stock_threshold",
        "commission_rate",
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
        if is_seller(request):
            readonly.append("is_active")  # opening and closing shops is for platform staff
            readonly.append("commission_rate")  # and so is the platform's commission
        return readonly

    def get_actions(self, request):
        actions = super().get_actions(request)
        if is_seller(request):
            actions.pop("activate_shops", None)
            actions.pop("deactivate_shops", None)
        return actions

    def has_change_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return _seller_owns(request, obj)
        return super().has_change_permission(request, obj)

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A shop leaves the catalog by being deactivated; its products and orders stay.
        return False

    @admin.display(description=_("members"), ordering="members_count")
    def members_count(self, shop: Shop) -> int:
        return shop.members_count

    def save_model(self, request, obj, form, change) -> None:
        data = {
            field: form.cleaned_data[field]
            for field in (*SHOP_FIELDS, "is_active")
            if field in form.cleaned_data  # is_active is read-only for sellers
        }
        rate_changed = "commission_rate" in form.changed_data and not is_seller(request)
        if change:
            with errors_onto(form):
                shop = shop_update(shop=fresh(obj), data=data, by=request.user)
                if rate_changed:
                    shop_set_commission_rate(
                        shop=shop, rate=form.cleaned_data["commission_rate"], by=request.user
                    )
            return
        # Staff opening a shop for a seller choose its owners in the memberships below
        # (saved next, through the services): the shop is opened without one.
        if form.cleaned_data.get("slug"):
            data["slug"] = form.cleaned_data["slug"]
        with errors_onto(form):
            created = shop_create(owner=None, data=data, by=request.user)
            if rate_changed:
                shop_set_commission_rate(
                    shop=created, rate=form.cleaned_data["commission_rate"], by=request.user
                )
            if data.get("is_active") is False:
                shop_deactivate(shop=created, by=request.user)
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is ShopMembership:
            save_memberships(request=request, shop=form.instance, formset=formset)
            return
        super().save_formset(request, form, formset, change)

    @admin.action(
        description=_("Approve or reopen selected shops (activate)"), permissions=["change"]
    )
    def activate_shops(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        count = 0
        for shop in queryset:
            shop_approve(shop=shop, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Activated %(count)d shop.", "Activated %(count)d shops.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate selected shops"), permissions=["change"])
    def deactivate_shops(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        count = 0
        for shop in queryset:
            shop_deactivate(shop=shop, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext(
                "Deactivated %(count)d shop; their products left the catalog.",
                "Deactivated %(count)d shops; their products left the catalog.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
