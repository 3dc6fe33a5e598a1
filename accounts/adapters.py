from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import validate_deliverable_email
from core.emails import queue_email


class AccountAdapter(DefaultAccountAdapter):
    """allauth's mails are rendered here (allauth builds their context) and sent by a
    worker after commit, like every other mail of the shop."""

    def pre_authenticate(self, request, **credentials) -> None:
        """allauth's own per-address and per-account count of failed passwords is left
        out: the sign-in guard (accounts.signin) counts them for every door, without
        letting a stranger lock a victim out. (allauth still limits wrong second-factor
        codes per account: ACCOUNT_RATE_LIMITS["login_failed"].)"""

    def clean_email(self, email: str) -> str:
        """Sign-up and added addresses: never one at a reserved, undeliverable domain
        (erased accounts live there)."""
        email = super().clean_email(email)
        try:
            validate_deliverable_email(email)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc
        return email

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = self.request
        context = {"request": request, "email": email, **context}
        message = self.render_mail(template_prefix, email, context)
        queue_email(message)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Google and GitHub login, offered only when their credentials are set."""

    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            # An unconfigured provider's address is simply not there (not a 500).
            raise Http404(f"{provider} login is not configured.") from exc
