from core.errors import ApplicationError


class InsufficientStock(ApplicationError):
    code = "insufficient_stock"
    status_code = 409
    default_detail = "Not enough stock."

    def __init__(self, *, product_id: int, available: int, name: str = ""):
        what = f"“{name}”" if name else "this product"
        detail = (
            f"Only {available} of {what} left."
            if available
            else f"{what[0].upper()}{what[1:]} is out of stock."
        )
        super().__init__(detail, product_id=product_id, available=available)


class ProductUnavailable(ApplicationError):
    code = "product_unavailable"
    status_code = 409
    default_detail = "This product is no longer for sale."

    def __init__(self, *, product_id: int, name: str = ""):
        detail = f"“{name}” is no longer for sale." if name else None
        super().__init__(detail, product_id=product_id)
