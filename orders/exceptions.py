from config.errors import ApplicationError


class CartEmpty(ApplicationError):
    code = "cart_empty"
    status_code = 400
    default_detail = "Your cart is empty."


class InvalidStatusTransition(ApplicationError):
    code = "invalid_status_transition"
    status_code = 409
    default_detail = "The order cannot move to that status."


class OrderNotCancellable(InvalidStatusTransition):
    default_detail = "This order can no longer be cancelled."


class OrderPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_detail = "Only the person who placed the order (or staff) may cancel it."
