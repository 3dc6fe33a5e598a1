from django.utils.functional import SimpleLazyObject

from cart.selectors import cart_contents
from cart.services import GUEST_CART_SESSION_KEY


def _contents_of(request) -> tuple[int, frozenset[int]]:
    cached = getattr(request, "_cart_contents", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        contents = cart_contents(user=user)
    else:
        session = getattr(request, "session", None)
        cart_id = session.get(GUEST_CART_SESSION_KEY) if session is not None else None
        contents = cart_contents(cart_id=cart_id) if cart_id else (0, frozenset())
    request._cart_contents = contents
    return contents


def cart(request) -> dict:
    """The number of items in the header's cart link, and the products in the cart (the
    recommendations leave them out): one query, only when a page shows either."""
    return {
        "cart_count": SimpleLazyObject(lambda: _contents_of(request)[0]),
        "cart_product_ids": SimpleLazyObject(lambda: _contents_of(request)[1]),
    }
