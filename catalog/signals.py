"""Domain signals of the catalog, for the apps above it.

`prices_dropped` is sent inside the transaction that lowered variants' prices (the
admin, the API, the variant services); the cart tells the people who saved them
(cart.receivers)."""

from django.dispatch import Signal

prices_dropped = Signal()  # kwargs: variant_ids
