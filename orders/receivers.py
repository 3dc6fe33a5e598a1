"""Signal handlers of the orders app, connected in OrdersConfig.ready()."""

from django.dispatch import receiver

from accounts.signals import user_erased
from orders.services import orders_anonymise_for_user


@receiver(user_erased, dispatch_uid="orders_anonymise_on_erase")
def anonymise_orders_of_erased_user(sender, user, **kwargs) -> None:
    orders_anonymise_for_user(user=user)
