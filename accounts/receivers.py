"""Signal handlers of the accounts app, connected in AccountsConfig.ready()."""

from allauth.account.signals import password_changed, password_reset, password_set, user_signed_up
from django.dispatch import receiver

from accounts.services import user_tokens_revoke, welcome_email_queue


@receiver(user_signed_up, dispatch_uid="accounts_welcome_on_signup")
def send_welcome_on_page_signup(sender, request, user, **kwargs) -> None:
    # Sign-ups through allauth's pages and social login; the API's register service
    # queues the same mail itself.
    welcome_email_queue(user=user)


@receiver(password_changed, dispatch_uid="accounts_revoke_tokens_on_page_password_change")
@receiver(password_set, dispatch_uid="accounts_revoke_tokens_on_page_password_set")
@receiver(password_reset, dispatch_uid="accounts_revoke_tokens_on_page_password_reset")
def revoke_api_sessions_on_page_password_change(sender, request, user, **kwargs) -> None:
    # A new password set on allauth's pages ends every API session, as the API's own
    # password endpoints do (accounts.services).
    user_tokens_revoke(user=user)
