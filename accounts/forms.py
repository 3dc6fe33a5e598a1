from allauth.account import app_settings as allauth_settings
from allauth.account.forms import ResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal import flows
from allauth.account.models import EmailAddress, Login
from django import forms
from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.hashers import make_password
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from accounts.models import ADDRESS_FIELDS, PREFERENCE_FIELDS, Address, User
from accounts.services import password_reset_request


class PasswordResetRequestForm(ResetPasswordForm):
    """allauth's "forgot password" page, sending the same link as the API (one flow)."""

    def save(self, request, **kwargs) -> str:
        email = self.cleaned_data["email"]
        password_reset_request(email=email)
        return email


class SignupForm(AllauthSignupForm):
    """allauth's sign-up page, answering the same whether or not the address already has
    an account: either way the next page says a link is on its way. A new person gets the
    verification link (which signs them in, in the browser they signed up in); the owner
    of an existing account gets a mail saying so instead, and no account is made."""

    def validate_unique_email(self, value: str) -> str:
        self.account_already_exists = (
            User.objects.filter(email__iexact=value).exists()
            or EmailAddress.objects.filter(email__iexact=value).exists()
        )
        return value

    def try_save(self, request):
        mandatory = allauth_settings.EmailVerificationMethod.MANDATORY
        email = self.cleaned_data.get("email")
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))  # as long as a real sign-up
            login = Login(user=None, email=email, signup=True, email_verification=mandatory)
            return None, flows.login.perform_login(request, login)
        user = self.save(request)
        response = flows.signup.complete_signup(
            request, user=user, email_verification=mandatory, redirect_url=_next_url(request)
        )
        return user, response


def _next_url(request) -> str | None:
    """Where the sign-up page was asked to lead (`?next=`), if it is on this site."""
    from django.utils.http import url_has_allowed_host_and_scheme

    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


class PasswordResetSetForm(SetPasswordForm):
    """The page a reset link opens: a new password, checked by Django's validators."""


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The shop's pages, and the mail it sends you, in this language."),
    )
    marketing_emails = forms.BooleanField(
        required=False, label=_("Send me news and offers by email")
    )
    order_updates = forms.BooleanField(
        required=False,
        label=_("Tell me when my orders change, by email and in my notifications"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Each language named in its own tongue, as the footer's switcher names them.
        self.fields["language"].choices = [
            ("", _("My browser's language")),
            *(
                (code, capfirst(get_language_info(code)["name_local"]))
                for code, _name in settings.LANGUAGES
            ),
        ]

    def preferences(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in PREFERENCE_FIELDS}


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = [*ADDRESS_FIELDS, "is_default"]
        # Autofill hints, so that phones can fill the book from the saved contact.
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "country": forms.Select(attrs={"autocomplete": "country"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_default:
            # The default can only move to another address (services.address_update),
            # so the default address's own form does not offer to unset it.
            del self.fields["is_default"]
        else:
            self.fields["is_default"].label = _("Make this my default shipping address")
        country = self.fields["country"]
        country.choices = [("", _("Choose a country")), *(c for c in country.choices if c[0])]

    def address_data(self) -> dict:
        """The cleaned fields in the shape the address services take."""
        return dict(self.cleaned_data)


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Your name, email address and address book are erased; orders are kept."),
    )
