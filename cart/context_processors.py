from django.utils.functional import SimpleLazyObject

from cart.selectors import cart_count
from cart.services import GUEST_CART_SESSION_KEY


def _count_for(request) -> int:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return cart_count(user=user)
    session = getattr(request, "session", None)
    cart_id = session.get(GUEST_CART_SESSION_KEY) if session is not None else None
    return cart_count(cart_id=cart_id) if cart_id else 0


def cart(request) -> dict:
    """The number of items in the header's cart link: one query, only when a page shows it."""
    return {"cart_count": SimpleLazyObject(lambda: _count_for(request))}
