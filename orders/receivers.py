"""Signal handlers of the orders app, connected in OrdersConfig.ready()."""

from allauth.account.signals import email_confirmed
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.selectors import user_verified_emails
from accounts.signals import api_signed_in, user_erased
from orders.services import orders_adopt, orders_anonymise_for_user


@receiver(user_erased, dispatch_uid="orders_anonymise_on_erase")
def anonymise_orders_of_erased_user(sender, user, **kwargs) -> None:
    orders_anonymise_for_user(user=user)


@receiver(email_confirmed, dispatch_uid="orders_adopt_on_email_confirmed")
def adopt_guest_orders_on_confirmation(sender, request, email_address, **kwargs) -> None:
    """An account whose address is now verified takes the guest orders placed with it."""
    orders_adopt(user=email_address.user, emails=[email_address.email])


@receiver(user_logged_in, dispatch_uid="orders_adopt_on_login")
@receiver(api_signed_in, dispatch_uid="orders_adopt_on_api_sign_in")
def adopt_guest_orders_on_sign_in(sender, user, **kwargs) -> None:
    """Guest orders placed with one of a person's verified addresses, and confirmed from
    that mailbox (the order's link opened), join their account at sign-in. Unconfirmed
    ones do not: anyone may type someone else's address at checkout."""
    orders_adopt(user=user, emails=user_verified_emails(user=user), confirmed_only=True)
