"""Domain signals of the accounts app, for the apps above it.

`user_erased` is sent inside the erasing transaction; orders anonymise the person's
orders (see orders/receivers.py).
"""

from django.dispatch import Signal

user_erased = Signal()  # kwargs: user
# Sent when someone signs in through the API (the pages send Django's user_logged_in):
# a guest cart sent along as X-Cart-Token joins theirs (cart), their guest orders join
# their account (orders).
api_signed_in = Signal()  # kwargs: user, request
