"""Workers of the cart app."""

from celery import shared_task

from cart.services import carts_purge_guests


@shared_task
def purge_guest_carts() -> int:
    """Beat runs this daily: guest carts untouched for GUEST_CART_DAYS are deleted."""
    return carts_purge_guests()
