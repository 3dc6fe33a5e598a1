from django.utils.functional import SimpleLazyObject

from cart.selectors import cart_count
from cart.services import cart_get_for_session


def _count_for(request) -> int:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from cart.models import Cart

        current = Cart.objects.filter(user=user).first()
    elif hasattr(request, "session"):
        current = cart_get_for_session(session=request.session)
    else:
        current = None
    return cart_count(cart=current)


def cart(request) -> dict:
    """The number of items in the header's cart link, counted only when a page shows it."""
    return {"cart_count": SimpleLazyObject(lambda: _count_for(request))}
