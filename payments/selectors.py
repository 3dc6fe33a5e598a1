"""Reads of the payments app: what each caller may see."""

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from payments.models import Payment, Refund
from payments.policies import may_view_all_payments


def _refunds() -> Prefetch:
    """A payment's refunds, oldest first, as the list `refund_list`."""
    return Prefetch(
        "refunds", queryset=Refund.objects.order_by("created_at"), to_attr="refund_list"
    )


def payment_list_for(*, user) -> QuerySet[Payment]:
    """Own payments; staff who may view payments see all. Refunds come along in one query."""
    payments = Payment.objects.select_related("order").prefetch_related(_refunds())
    return payments if may_view_all_payments(user) else payments.filter(user=user)


def payments_of_order(*, order) -> QuerySet[Payment]:
    """An order's payments with their refunds, newest first (for its buyer's pages)."""
    return Payment.objects.select_related("order").prefetch_related(_refunds()).filter(order=order)


def payment_load_refunds(payment: Payment, *, new: bool = False) -> Payment:
    """A payment already read, with its refunds (as `payment_list_for` gives them);
    `new`: it was just created, so it has none; one whose service knew its refunds
    (`refund_list` set: payments.services) keeps them. Neither makes a query."""
    if new:
        payment.refund_list = []
    elif not hasattr(payment, "refund_list"):
        prefetch_related_objects([payment], _refunds())
    return payment
