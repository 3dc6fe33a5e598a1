"""Payments for orders: money moves exactly once and the books agree with the provider.

The amount always comes from the order. Every write that follows a provider answer is
idempotent (a status can only move forward), so a retried request, a replayed webhook
and the synchronous confirmation answer can all report the same fact safely.

By subject: payments (create, confirm, saved cards), refunds, webhooks; every public
function is importable from here, as before the split.
"""

from payments.providers import configured_providers
from payments.services.payments import (
    customer_for,
    payment_confirm,
    payment_create,
    payment_mark_succeeded,
    saved_method_delete,
    saved_method_list,
)
from payments.services.refunds import (
    order_payments_settle_on_cancel,
    order_refund_in_full,
    payment_refund,
    refund_sync,
)
from payments.services.webhooks import HANDLERS, webhook_process, webhook_receive

__all__ = [
    "HANDLERS",
    "configured_providers",
    "customer_for",
    "order_payments_settle_on_cancel",
    "order_refund_in_full",
    "payment_confirm",
    "payment_create",
    "payment_mark_succeeded",
    "payment_refund",
    "refund_sync",
    "saved_method_delete",
    "saved_method_list",
    "webhook_process",
    "webhook_receive",
]
