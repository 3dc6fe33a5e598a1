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
# Sent when some of a person's sessions end (an API sign-out, every token revoked on a
# password change or a switched-off account): their live sockets check whether they
# still stand (notifications.receivers). The pages' sign-out sends Django's
# user_logged_out.
sessions_ended = Signal()  # kwargs: user
