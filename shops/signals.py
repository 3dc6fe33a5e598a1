"""Domain signals of the shops app, for apps above it.

`shop_opened` is sent inside the transaction that creates a shop (shop_create); the
shipping app gives the shop its first shipping zone (shipping/receivers.py).
"""

from django.dispatch import Signal

shop_opened = Signal()  # kwargs: shop
