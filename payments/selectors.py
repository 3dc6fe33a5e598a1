"""Reads of the payments app: what each caller may see."""

from django.db.models import Prefetch, QuerySet

from payments.models import Payment, Refund


def payment_list_for(*, user) -> QuerySet[Payment]:
    """Own payments; platform staff see all. Refunds come along in one query."""
    payments = Payment.objects.select_related("order").prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at"))
    )
    return payments if user.is_staff else payments.filter(user=user)
