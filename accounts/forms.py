from allauth.account.forms import ResetPasswordForm
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django_countries.widgets import CountrySelectWidget

from accounts.models import PREFERENCE_FIELDS, Address
from accounts.services import password_reset_request


class PasswordResetRequestForm(ResetPasswordForm):
    """allauth's "forgot password" page, sending the same link as the API (one flow)."""

    def save(self, request, **kwargs) -> str:
        email = self.cleaned_data["email"]
        password_reset_request(email=email)
        return email


class PasswordResetSetForm(SetPasswordForm):
    """The page a reset link opens: a new password, checked by Django's validators."""


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    marketing_emails = forms.BooleanField(required=False, label="Send me news and offers by email")
    order_updates = forms.BooleanField(
        required=False, label="Email me when my orders change (confirmation, shipping)"
    )

    def preferences(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in PREFERENCE_FIELDS}


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = [
            "full_name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "is_default",
        ]
        widgets = {"country": CountrySelectWidget()}


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your name, email address and address book are erased; orders are kept.",
    )
