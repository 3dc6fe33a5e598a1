"""Shared admin pieces: the admin site (platform staff and shop members sign in), the
seller scoping mixin, and service errors shown as form errors or admin messages.

`ServiceAdminMixin` and `errors_onto` serve every app's admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import update_wrapper

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from config.errors import ApplicationError

# --- The admin site: platform staff, and shop owners and staff for their shops ---------


def seller_shop_ids(request) -> set[int]:
    """The shops the signed-in person is a member of, if their address is verified (asked
    once per request): sellers are who they say they are."""
    if not hasattr(request, "_seller_shop_ids"):
        from shops.selectors import user_shop_ids

        request._seller_shop_ids = user_shop_ids(user=request.user)
    return request._seller_shop_ids


def is_seller(request) -> bool:
    """A shop member (with a verified address) who is not platform staff: sees the admin
    scoped to their shops."""
    user = request.user
    return user.is_active and not user.is_staff and bool(seller_shop_ids(request))


def staff_mfa_missing(user) -> bool:
    """Platform staff must sign in with a second factor (STAFF_REQUIRE_MFA) and this one
    has not set it up yet."""
    from accounts.policies import mfa_required_but_missing

    return mfa_required_but_missing(user)


class ShopAdminSite(admin.AdminSite):
    """Platform staff and shop members; both sign in on the storefront's sign-in page
    (allauth's: the same guard against guessing, and the second factor), which leads
    back here."""

    site_header = "Shop administration"
    site_title = "Shop admin"
    index_title = "Dashboard"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or is_seller(request))

    def login(self, request, extra_context=None):
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(next_url)
            raise PermissionDenied("This account does not manage a shop: the admin is not for it.")
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and staff_mfa_missing(request.user):
                messages.warning(
                    request, "Set up two-factor sign-in first: staff need it to use the admin."
                )
                return redirect_to_login(request.get_full_path(), reverse("mfa_activate_totp"))
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, view)

    def index(self, request, extra_context=None):
        """The index shows the sales dashboard to staff, a shop's own page to its members."""
        from orders.dashboard import index_context

        return super().index(request, {**index_context(request), **(extra_context or {})})

    def get_urls(self):
        """The admin's URLs, and the sales reports under reports/ (staff only)."""
        from orders.reports import report_urls

        return [*report_urls(self), *super().get_urls()]


class SellerScopedAdminMixin:
    """Platform staff keep Django's permissions. Shop members who are not staff see only
    rows of their shops (through `seller_shop_field`) and may do only what the
    `seller_can_*` flags allow; rows of other shops answer 404."""

    seller_shop_field = "shop"
    seller_can_view = True
    seller_can_add = False
    seller_can_change = False
    seller_can_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_staff:
            return queryset
        return queryset.filter(**{f"{self.seller_shop_field}__in": seller_shop_ids(request)})

    def get_object(self, request, object_id, from_field=None):
        # Django answers a missing row with a redirect to the index; a seller asking for
        # another shop's row (or none) gets a plain 404, the same either way.
        obj = super().get_object(request, object_id, from_field)
        if obj is None and is_seller(request):
            raise Http404(f"No {self.opts.verbose_name} with this ID among your shops.")
        return obj

    def has_module_permission(self, request) -> bool:
        if is_seller(request):
            return self.seller_can_view
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return self.seller_can_view or self.seller_can_change
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        if is_seller(request):
            return self.seller_can_add
        return super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return self.seller_can_change
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return self.seller_can_delete
        return super().has_delete_permission(request, obj)


class StaffOnlyAdminMixin:
    """Models shop members never see in the admin (users, webhooks, other shops' data)."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_staff and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff and super().has_view_permission(request, obj)

    # Also when a member who is not staff holds Django permissions (left from a time as
    # staff, say): writing is refused as well as seeing.
    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_staff and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_staff and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_staff and super().has_delete_permission(request, obj)


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


class OptionalSlugForm(forms.ModelForm):
    """The services make a slug from the name when none is given."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Left empty, it is made from the name."
