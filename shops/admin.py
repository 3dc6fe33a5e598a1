"""Admin of shops and memberships for platform staff: every write goes through
shops.services, and a service's refusal comes back as a form error or an admin message.

`ServiceAdminMixin` and `errors_onto` are shared with the catalog's admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from accounts.admin import UserAdmin
from config.errors import ApplicationError
from shops.models import Shop, ShopMembership
from shops.services import (
    SHOP_FIELDS,
    membership_add,
    membership_remove,
    shop_deactivate,
    shop_update,
    unique_slug,
)

# --- Service errors in the admin --------------------------------------------------------

SERVICE_ERRORS = (ApplicationError, ValidationError)


class ServiceRejected(Exception):
    """A service refused what a form asked for; carries the messages and the form's prefix."""

    def __init__(self, error: Exception, *, prefix: str | None, aliases: dict[str, str]):
        super().__init__(str(error))
        self.messages = _messages_by_field(error)
        self.prefix = prefix
        self.aliases = aliases


def _messages_by_field(error: Exception) -> dict[str | None, list[str]]:
    """The messages of a domain or Django validation error by field (None: the whole form)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {
                None if field == NON_FIELD_ERRORS else field: texts
                for field, texts in error.message_dict.items()
            }
        return {None: error.messages}
    if isinstance(error, ApplicationError):
        fields = error.extra.get("fields") or {}
        return {field: list(texts) for field, texts in fields.items()} or {None: [error.detail]}
    return {None: [str(error)]}


def error_text(error: Exception) -> str:
    return " ".join(message for texts in _messages_by_field(error).values() for message in texts)


@contextmanager
def errors_onto(form: forms.BaseForm, **aliases: str) -> Iterator[None]:
    """A service error raised inside becomes an error of `form` (on the field it names,
    else at the top of the form); `aliases` rename the service's field names to the
    form's (`email="user"`)."""
    try:
        yield
    except SERVICE_ERRORS as error:
        raise ServiceRejected(error, prefix=form.prefix, aliases=aliases) from error


def _with_rejection(form_class: type[forms.BaseForm], rejected: ServiceRejected):
    """`form_class`, which also shows `rejected`'s messages if it is the form they are for."""

    class RejectedForm(form_class):
        def full_clean(self) -> None:
            super().full_clean()
            if not self.is_bound or self.prefix != rejected.prefix:
                return
            for field, texts in rejected.messages.items():
                name = rejected.aliases.get(field, field) if field else None
                for message in texts:
                    self.add_error(name if name in self.fields else None, message)

    RejectedForm.__name__ = form_class.__name__
    return RejectedForm


def _formset_with_rejection(formset_class, rejected: ServiceRejected):
    """`formset_class`, whose rows show `rejected`'s messages if one of them is the row they
    are for; for a row being deleted (whose errors a formset ignores), so does the formset."""

    class RejectedFormSet(formset_class):
        form = _with_rejection(formset_class.form, rejected)

        def clean(self) -> None:
            super().clean()
            for row in self.forms:
                cleaned = getattr(row, "cleaned_data", {})
                if row.prefix == rejected.prefix and cleaned.get(DELETION_FIELD_NAME):
                    raise ValidationError(
                        [text for texts in rejected.messages.values() for text in texts]
                    )

    RejectedFormSet.__name__ = formset_class.__name__
    return RejectedFormSet


class ServiceAdminMixin:
    """For admins whose saves, deletes and actions call services.

    Saving: the services run inside the admin's transaction. When one refuses (a domain
    error, or Django's ValidationError from its full_clean), the transaction is rolled
    back and the same POST is validated again with the refusal added to the form it
    concerns, so the page shows it beside the field, with the user's input kept. Errors
    not raised inside `errors_onto(...)` land at the top of the main form.

    Deleting and actions: a refusal rolls everything back and becomes an error message.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ServiceRejected, ApplicationError) as error:
            if request.method != "POST" or hasattr(request, "_admin_rejected"):
                raise
            rejected = (
                error
                if isinstance(error, ServiceRejected)
                else ServiceRejected(error, prefix=None, aliases={})
            )
        request._admin_rejected = rejected
        for _name, uploads in request.FILES.lists():
            for upload in uploads:
                upload.seek(0)  # the first attempt may have stored (read) it
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        rejected = getattr(request, "_admin_rejected", None)
        return _with_rejection(form, rejected) if rejected else form

    def get_formsets_with_inlines(self, request, obj=None):
        rejected = getattr(request, "_admin_rejected", None)
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield (_formset_with_rejection(formset, rejected) if rejected else formset), inline

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except SERVICE_ERRORS as error:
            self.message_user(request, error_text(error), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(object_id)],
                    current_app=self.admin_site.name,
                )
            )

    def response_action(self, request, queryset):
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except SERVICE_ERRORS as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def fresh(obj):
    """`obj` as stored: the admin form has already written the new values onto `obj`,
    and a service compares the new values with the old ones."""
    return type(obj)._default_manager.get(pk=obj.pk)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- Memberships ------------------------------------------------------------------------


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
