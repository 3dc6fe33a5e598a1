"""Domain signals of the orders app, for apps above it (payments).

`order_cancelled` is sent inside the cancelling transaction with the order and the
status it had; the payments app refunds what was paid (see payments/receivers.py).
"""

from django.dispatch import Signal

order_cancelled = Signal()  # kwargs: order, previous_status, by
# Sent inside the transaction that marks the order paid (invoices issue its invoices).
order_paid = Signal()  # kwargs: order
# Sent inside the transaction that counts a refund (invoices issue credit notes); `ref`
# names the refund at the payments app, so that it is credited once.
# `shop_id`: the one shop it gives money back for (a return), or None.
order_refund_recorded = Signal()  # kwargs: order, amount, ref, shop_id
# Sent inside the transaction in which an account adopted guest orders (its verified
# address placed them): payments and returns of those orders become the account's.
orders_adopted = Signal()  # kwargs: user, order_ids
