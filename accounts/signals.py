"""Domain signals of the accounts app, for the apps above it.

`user_erased` is sent inside the erasing transaction; orders anonymise the person's
orders (see orders/receivers.py).
"""

from django.dispatch import Signal

user_erased = Signal()  # kwargs: user
