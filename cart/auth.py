"""Guests of the API: the guest cart token.

A mobile app shops before anyone signs in: `POST /api/v1/cart/token/` makes a guest
cart and answers its token once; the app sends it as `X-Cart-Token` with every cart,
checkout, order and payment call. The request is then a guest (accounts.guests.Guest)
whose key is the token's digest: the cart it names, and the account-less orders placed
with it. Signing in with the token sent along merges the cart (cart.receivers).

Only the views that welcome guests (`GuestsWelcome`) read the header. Authenticating
costs no query: a key that names no cart is answered by the cart views
(404 `cart_token_unknown`), and reaches no order.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from accounts.guests import Guest, guest_key_of, is_guest

HEADER = "HTTP_X_CART_TOKEN"
MAX_TOKEN_LENGTH = 128


class CartTokenInvalid(AuthenticationFailed):
    default_code = error_code = "cart_token_invalid"  # the error shape's code (core.errors)
    default_detail = _("This is not a guest cart token.")


def cart_token_of(request) -> str:
    return (request.META.get(HEADER) or "").strip()


class CartTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = cart_token_of(request)
        if not token:
            return None
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise CartTokenInvalid()
        return Guest(key=guest_key_of(token)), None

    def authenticate_header(self, request) -> str:
        return "X-Cart-Token"


class IsBuyer(BasePermission):
    """A signed-in person, or a guest with a guest cart token."""

    message = _("Sign in, or send the guest cart token (X-Cart-Token) you were given.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and (user.is_authenticated or (is_guest(user) and user.key)))


class GuestsWelcome:
    """A view a guest may use (the cart, checkout, their orders, paying, returns and
    invoices): the usual authentication and the guest cart token; signed in or a guest."""

    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, CartTokenAuthentication]
    permission_classes = [IsBuyer]
