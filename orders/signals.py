"""Domain signals of the orders app, for apps above it (payments).

`order_cancelled` is sent inside the cancelling transaction with the order and the
status it had; the payments app refunds what was paid (see payments/receivers.py).
"""

from django.dispatch import Signal

order_cancelled = Signal()  # kwargs: order, previous_status, by
