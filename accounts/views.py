"""The shop's own account pages: overview, profile, address book, account deletion and the
page a password reset link opens.

allauth serves sign-up, login, logout, email verification, password change and the
reset request (see config/urls.py). Every change made here goes through
accounts.services, the same functions the API calls; a domain error they raise is shown
on the page (a form error or a message), never as a server error.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_from_request, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services
from accounts.exceptions import InvalidResetToken
from accounts.forms import AccountDeleteForm, AddressForm, PasswordResetSetForm, ProfileForm
from accounts.models import Address
from accounts.roles import user_roles
from core.errors import ApplicationError
from core.forms import form_add_service_error

ROLE_LABELS = {
    "customer": gettext_lazy("Customer"),
    "shop_owner": gettext_lazy("Shop owner"),
    "shop_staff": gettext_lazy("Shop staff"),
    "staff": gettext_lazy("Platform staff"),
}


# --- Overview and profile ----------------------------------------------------------------


@require_safe
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "email_verified": selectors.user_email_verified(user=user),
        "roles": [ROLE_LABELS.get(role, role) for role in user_roles(user)],
        "default_address": selectors.address_default(user=user),
        "address_count": selectors.address_list(user=user).count(),
    }
    return render(request, "accounts/overview.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update_profile(
                    user=user,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    preferences=form.preferences(),
                    language=form.cleaned_data["language"],
                )
            except ApplicationError as exc:
                form_add_service_error(form, exc)
            else:
                # The new language from the next page on (this browser's switcher choice
                # gives way to it).
                language = user.language or get_language_from_request(request)
                translation.activate(language)
                messages.success(request, _("Your profile has been saved."))
                response = redirect("accounts:profile")
                if user.language:
                    response.set_cookie(
                        settings.LANGUAGE_COOKIE_NAME,
                        user.language,
                        max_age=settings.LANGUAGE_COOKIE_AGE,
                        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                        secure=settings.LANGUAGE_COOKIE_SECURE,
                    )
                else:
                    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                return response
    else:
        form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                **user.preferences,
            }
        )
    return render(request, "accounts/profile.html", {"form": form})


# --- Address book ------------------------------------------------------------------------


def _own_address(request: HttpRequest, pk: int) -> Address:
    """One of the caller's addresses; anyone else's is a 404, as if it did not exist."""
    return get_object_or_404(selectors.address_list(user=request.user), pk=pk)


@require_safe
@login_required
def address_list(request: HttpRequest) -> HttpResponse:
    addresses = list(selectors.address_list(user=request.user))
    return render(request, "accounts/address_list.html", {"addresses": addresses})


@require_http_methods(["GET", "POST"])
@login_required
def address_add(request: HttpRequest) -> HttpResponse:
    is_first = not selectors.address_list(user=request.user).exists()
    form = AddressForm(request.POST or None)
    if is_first:
        del form.fields["is_default"]  # the first address becomes the default anyway
    if request.method == "POST" and form.is_valid():
        try:
            services.address_create(user=request.user, data=form.address_data())
        except (ApplicationError, DjangoValidationError) as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("The address has been added."))
            return redirect("accounts:addresses")
    context = {"form": form, "is_first": is_first, "address": None}
    return render(request, "accounts/address_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    # The form validates on a copy: a ModelForm writes its data onto its instance, and
    # the service must see the address as stored to apply its rules.
    form = AddressForm(request.POST or None, instance=copy.copy(address))
    if request.method == "POST" and form.is_valid():
        try:
            services.address_update(address=address, data=form.address_data())
        except (ApplicationError, DjangoValidationError) as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("The address has been saved."))
            return redirect("accounts:addresses")
    return render(request, "accounts/address_form.html", {"form": form, "address": address})


@require_http_methods(["GET", "POST"])
@login_required
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    if request.method == "POST":
        services.address_delete(address=address)
        messages.success(request, _("The address has been deleted."))
        return redirect("accounts:addresses")
    return render(request, "accounts/address_confirm_delete.html", {"address": address})


@require_POST
@login_required
def address_default(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    try:
        services.address_set_default(address=address)
    except (ApplicationError, DjangoValidationError) as exc:
        messages.error(request, getattr(exc, "detail", None) or " ".join(exc.messages))
    else:
        messages.success(request, _("Your default address has been changed."))
    return redirect("accounts:addresses")


# --- Deleting the account ----------------------------------------------------------------


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_erase(user=request.user, password=form.cleaned_data["password"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            logout(request)
            messages.success(request, _("Your account has been deleted. Goodbye!"))
            return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


# --- The page a password reset link opens -------------------------------------------------


def _reset_link_invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_invalid.html")


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the reset mail (accounts.tasks.send_password_reset_email). It works once:
    the token hashes the password, so setting a new one retires it."""
    try:
        user = services.password_reset_user(uid=uidb64, token=token)
    except InvalidResetToken:
        return _reset_link_invalid(request)
    form = PasswordResetSetForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(
                uid=uidb64, token=token, new_password=form.cleaned_data["new_password1"]
            )
        except InvalidResetToken:
            return _reset_link_invalid(request)
        except ApplicationError as exc:
            form_add_service_error(form, exc, aliases={"new_password": "new_password1"})
        else:
            messages.success(request, _("Your password has been changed. Sign in with it now."))
            return redirect(reverse("account_login"))
    response = render(request, "accounts/password_reset_confirm.html", {"form": form})
    # The address holds the token: do not hand it to other sites as a referrer.
    response["Referrer-Policy"] = "no-referrer"
    return response
