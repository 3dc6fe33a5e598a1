"""The orders app says an order was paid or money was given back (orders.signals);
invoicing answers after commit with a task that takes ids."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from orders.signals import order_paid, order_refund_recorded


@receiver(order_paid, dispatch_uid="invoices-order-paid")
def _issue_invoices(sender, order, **kwargs) -> None:
    from invoices.tasks import issue_invoices

    order_id = str(order.pk)
    transaction.on_commit(lambda: issue_invoices.delay(order_id))


@receiver(order_refund_recorded, dispatch_uid="invoices-refund")
def _issue_credit_notes(sender, order, amount, ref="", shop_id=None, **kwargs) -> None:
    from invoices.tasks import issue_credit_notes

    order_id, value = str(order.pk), str(amount)
    transaction.on_commit(lambda: issue_credit_notes.delay(order_id, value, ref, shop_id))
