"""Shared admin pieces: the admin site and what every app's admin builds on (service
errors shown as form errors or admin messages, staff-only and read-only mixins).

The site knows no app: apps plug in through the registries below, from their
AppConfig.ready() — who else may enter (shops: sellers), what guards every admin page
(accounts: staff's second factor), what the index shows (orders: the dashboards) and
which extra pages it serves (orders: the reports), and what they add to another app's
admin (payments: the refund action and inline on orders).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import update_wrapper
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from core.forms import error_text, messages_by_field

# --- Registries ------------------------------------------------------------------------------

AccessCheck = Callable[[HttpRequest], bool]
ViewGuard = Callable[[HttpRequest], HttpResponse | None]
IndexSection = Callable[[HttpRequest], dict[str, Any]]
UrlProvider = Callable[[admin.AdminSite], list]

_access_checks: list[AccessCheck] = []
_view_guards: list[ViewGuard] = []
_index_sections: list[IndexSection] = []
_url_providers: list[UrlProvider] = []
_extra_actions: dict[str, list[tuple[Callable, Callable | None]]] = {}
_extra_inlines: dict[str, list[type]] = {}


def _add(registry: list, item) -> None:
    if item not in registry:
        registry.append(item)


def register_admin_access(check: AccessCheck) -> None:
    """`check(request)`: may this signed-in person who is not platform staff use the admin?"""
    _add(_access_checks, check)


def register_admin_guard(guard: ViewGuard) -> None:
    """`guard(request)`: a response that replaces every admin page (a redirect), or None."""
    _add(_view_guards, guard)


def register_admin_index(section: IndexSection) -> None:
    """`section(request)`: context the admin's index shows above the list of apps."""
    _add(_index_sections, section)


def register_admin_urls(provider: UrlProvider) -> None:
    """`provider(site)`: more URL patterns of the admin (wrap views in site.admin_view)."""
    _add(_url_providers, provider)


def register_admin_action(
    model_label: str, action: Callable, *, allowed: Callable[[Any], bool] | None = None
) -> None:
    """An action (an @admin.action function) shown on another app's admin of
    `model_label` ("orders.order") to those for whom `allowed(user)` holds (the
    registering app's policy): see ExtensibleAdminMixin."""
    _add(_extra_actions.setdefault(model_label, []), (action, allowed))


def register_admin_inline(model_label: str, inline: type) -> None:
    """An inline shown on another app's admin of `model_label`: see ExtensibleAdminMixin."""
    _add(_extra_inlines.setdefault(model_label, []), inline)


class ExtensibleAdminMixin:
    """A ModelAdmin that shows the actions and inlines other apps registered for its
    model (register_admin_action, register_admin_inline), after its own."""

    def _label(self) -> str:
        return self.opts.label_lower

    def get_inlines(self, request, obj):
        return [*super().get_inlines(request, obj), *_extra_inlines.get(self._label(), [])]

    def _get_base_actions(self):
        actions = list(super()._get_base_actions())
        for function, _allowed in _extra_actions.get(self._label(), []):
            actions.append(self.get_action(function))
        return actions

    def get_actions(self, request):
        actions = super().get_actions(request)
        for function, allowed in _extra_actions.get(self._label(), []):
            if allowed is not None and not allowed(request.user):
                actions.pop(function.__name__, None)
        return actions


# --- The admin site: platform staff, and whoever an app lets in --------------------------


class ShopAdminSite(admin.AdminSite):
    """Platform staff, and the people an app lets in (shop members); both sign in on the
    storefront's sign-in page (the same guard against guessing, and the second factor),
    which leads back here."""

    site_header = gettext_lazy("Shop administration")
    site_title = gettext_lazy("Shop admin")
    index_title = gettext_lazy("Dashboard")

    def has_permission(self, request) -> bool:
        user = request.user
        if not user.is_active:
            return False
        return user.is_staff or any(check(request) for check in _access_checks)

    def login(self, request, extra_context=None):
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = index
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(next_url)
            raise PermissionDenied(
                _("This account does not manage a shop: the admin is not for it.")
            )
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated:
                for guard in _view_guards:
                    response = guard(request)
                    if response is not None:
                        return response
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, view)

    def index(self, request, extra_context=None):
        context: dict[str, Any] = {}
        for section in _index_sections:
            context.update(section(request))
        return super().index(request, {**context, **(extra_context or {})})

    def get_urls(self):
        extra = [pattern for provider in _url_providers for pattern in provider(self)]
        return [*extra, *super().get_urls()]


# --- Mixins --------------------------------------------------------------------------------


class ReadOnlyAdminMixin:
    """History or records that only services write: seen here, never added, changed or
    deleted."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
        self.messages = messages_by_field(error)
        self.prefix = prefix
        self.aliases = aliases


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
            self.fields["slug"].help_text = _("Left empty, it is made from the name.")
