from core.errors import ApplicationError, NotPermitted


class ShippingPermissionDenied(NotPermitted):
    default_detail = "Only the shop's members (or platform staff) change its shipping."


class NotShippable(ApplicationError):
    """A shop of the cart has no shipping method for the address (or not the one chosen)."""

    code = "not_shippable"
    status_code = 409

    def __init__(self, *, shop_id: int, shop_name: str, lines: list[dict], detail: str = ""):
        super().__init__(
            detail or f"{shop_name} does not ship to this address.",
            shop_id=shop_id,
            shop_name=shop_name,
            lines=lines,
        )
