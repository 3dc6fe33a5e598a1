"""Signal handlers of the cart app, connected in CartConfig.ready()."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.guests import guest_key_of
from accounts.signals import api_signed_in
from cart.auth import cart_token_of
from cart.exceptions import CartTokenUnknown
from cart.services import (
    GUEST_CART_SESSION_KEY,
    cart_get_for_session,
    cart_get_for_token,
    cart_get_for_user,
    cart_merge,
    wishlist_merge,
    wishlist_price_drops_tell,
)
from catalog.signals import prices_dropped


@receiver(user_logged_in, dispatch_uid="cart_merge_guest_cart_on_login")
def merge_guest_cart_on_login(sender, request, user, **kwargs) -> None:
    """A guest's cart joins the person's cart when they sign in (pages and social login)."""
    if request is None or not hasattr(request, "session"):
        return
    wishlist_merge(session=request.session, user=user)  # a guest's saved items too
    guest = cart_get_for_session(session=request.session)
    request.session.pop(GUEST_CART_SESSION_KEY, None)
    if guest is None:
        return
    cart = cart_get_for_user(user=user)
    # Both carts had lines: the person sees more in the cart than they just added, so
    # say where the rest comes from.
    joined = cart.items.exists() and guest.items.exists()
    for notice in cart_merge(source=guest, target=cart):
        messages.warning(request, notice)
    if joined:
        messages.info(
            request, _("Your cart also holds the items you had added when you last signed in.")
        )


@receiver(api_signed_in, dispatch_uid="cart_merge_guest_cart_on_api_sign_in")
def merge_token_cart_on_api_sign_in(sender, user, request, **kwargs) -> None:
    """An app signing in with its guest cart token (X-Cart-Token) sent along: the guest
    cart joins the person's cart (as on the pages); an unknown token is no error here."""
    token = cart_token_of(request)
    if not token:
        return
    try:
        guest = cart_get_for_token(key=guest_key_of(token))
    except CartTokenUnknown:
        return
    cart_merge(source=guest, target=cart_get_for_user(user=user))


@receiver(prices_dropped, dispatch_uid="cart_tell_savers_of_price_drops")
def tell_savers_of_price_drops(sender, variant_ids, **kwargs) -> None:
    """People who saved a variant whose price went down (or its product) hear of it."""
    wishlist_price_drops_tell(variant_ids=variant_ids)
