"""Signal handlers of the payments app, connected in PaymentsConfig.ready()."""

from django.db import transaction
from django.dispatch import receiver

from orders.signals import order_cancelled, orders_adopted


@receiver(order_cancelled, dispatch_uid="payments_settle_cancelled_order")
def settle_payments_of_cancelled_order(sender, order, previous_status, by, **kwargs) -> None:
    # The orders app cancels; money is given back here, by a worker after commit, so
    # that a slow provider never holds the cancelling transaction open.
    from payments.tasks import settle_cancelled_order

    order_id = str(order.pk)
    transaction.on_commit(lambda: settle_cancelled_order.delay(order_id))


@receiver(orders_adopted, dispatch_uid="payments_follow_adopted_orders")
def payments_follow_adopted_orders(sender, user, order_ids, **kwargs) -> None:
    """A guest's payments of orders an account adopted become that account's."""
    from payments.models import Payment

    Payment.objects.filter(order_id__in=order_ids, user__isnull=True).update(user=user)
