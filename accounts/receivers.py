"""Signal handlers of the accounts app, connected in AccountsConfig.ready()."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from accounts.services import welcome_email_queue


@receiver(user_signed_up, dispatch_uid="accounts_welcome_on_signup")
def send_welcome_on_page_signup(sender, request, user, **kwargs) -> None:
    # Sign-ups through allauth's pages and social login; the API's register service
    # queues the same mail itself.
    welcome_email_queue(user=user)
