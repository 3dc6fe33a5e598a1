from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotPermitted


class ShippingPermissionDenied(NotPermitted):
    default_detail = _("Only the shop's members (or platform staff) change its shipping.")


class NotShippable(ApplicationError):
    """A shop of the cart has no shipping method for the address (or not the one chosen)."""

    code = "not_shippable"
    status_code = 409

    def __init__(self, *, shop_id: int, shop_name: str, lines: list[dict], detail: str = ""):
        super().__init__(
            detail or gettext("%(shop)s does not ship to this address.") % {"shop": shop_name},
            shop_id=shop_id,
            shop_name=shop_name,
            lines=lines,
        )
