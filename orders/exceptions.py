from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotPermitted


class CartEmpty(ApplicationError):
    code = "cart_empty"
    status_code = 400
    default_detail = _("Your cart is empty.")


class InvalidStatusTransition(ApplicationError):
    code = "invalid_status_transition"
    status_code = 409
    default_detail = _("The order cannot move to that status.")


class OrderNotCancellable(InvalidStatusTransition):
    default_detail = _("This order can no longer be cancelled.")


class OrderPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_detail = _("Only the person who placed the order (or staff) may cancel it.")


class PendingOrdersLimit(ApplicationError):
    """One account may hold only so many unpaid orders at once (ORDER_MAX_PENDING_ORDERS)."""

    code = "pending_orders_limit"
    status_code = 409

    def __init__(self, *, limit: int):
        super().__init__(
            ngettext(
                "You already have %(limit)d unpaid orders: pay or cancel one before placing "
                "another.",
                "You already have %(limit)d unpaid orders: pay or cancel one before placing "
                "another.",
                limit,
            )
            % {"limit": limit},
            limit=limit,
        )


class PendingUnitsLimit(ApplicationError):
    """Unpaid orders of one account may hold only so many units of a product
    (ORDER_MAX_PENDING_UNITS_PER_PRODUCT), so that nobody reserves a whole stock."""

    code = "pending_units_limit"
    status_code = 409

    def __init__(self, *, product_id: int, name: str, limit: int, held: int):
        left = max(0, limit - held)
        if held:
            detail = gettext(
                "You may hold at most %(limit)d of “%(name)s” in unpaid orders; %(held)d are "
                "already in your unpaid orders."
            ) % {"limit": limit, "name": name, "held": held}
        else:
            detail = gettext("You may hold at most %(limit)d of “%(name)s” in unpaid orders.") % {
                "limit": limit,
                "name": name,
            }
        super().__init__(detail, product_id=product_id, limit=limit, available=left)


class OrderLinesFulfilled(ApplicationError):
    """Sent goods come back through a return, not a cancellation or a whole refund."""

    code = "lines_fulfilled"
    status_code = 409
    default_detail = _(
        "Some of this order's lines are already sent: they can no longer be cancelled or "
        "refunded as a whole."
    )


class FulfilmentInvalid(ApplicationError):
    code = "validation_error"
    status_code = 400

    def __init__(self, detail: str, *, field: str = "lines"):
        super().__init__(detail, fields={field: [detail]})


class NothingToSend(FulfilmentInvalid):
    """Every unit asked for (or every unit of the shop) was sent already."""

    def __init__(self, detail: str | None = None):
        super().__init__(
            detail or gettext("Everything of this shop is sent already."), field="lines"
        )


class StatementsNotPermitted(NotPermitted):
    default_detail = _("Only platform staff and shop owners read seller statements.")


class ShopNotYours(ApplicationError):
    code = "not_found"
    status_code = 404
    default_detail = _("No such shop among yours.")


class OrderAwaitingEmail(InvalidStatusTransition):
    """A guest's order above GUEST_CONFIRM_ABOVE whose email address is not confirmed
    yet: the sellers do not act on it until it is."""

    code = "order_awaiting_email"
    default_detail = _(
        "This order waits for its buyer to confirm their email address before it is sent."
    )
