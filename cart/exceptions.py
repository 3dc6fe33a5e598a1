from core.errors import ApplicationError


def _what(name: str, options: str) -> str:
    if not name:
        return "this product"
    return f"“{name}” ({options})" if options else f"“{name}”"


class InsufficientStock(ApplicationError):
    """Not enough of a variant; `product_id` and `variant_id` name it."""

    code = "insufficient_stock"
    status_code = 409
    default_detail = "Not enough stock."

    def __init__(
        self,
        *,
        product_id: int,
        available: int,
        name: str = "",
        variant_id: int | None = None,
        options: str = "",
    ):
        what = _what(name, options)
        detail = (
            f"Only {available} of {what} left."
            if available
            else f"{what[0].upper()}{what[1:]} is out of stock."
        )
        extra = {"variant_id": variant_id} if variant_id is not None else {}
        super().__init__(detail, product_id=product_id, available=available, **extra)


class ProductUnavailable(ApplicationError):
    code = "product_unavailable"
    status_code = 409
    default_detail = "This product is no longer for sale."

    def __init__(
        self, *, product_id: int, name: str = "", variant_id: int | None = None, options: str = ""
    ):
        detail = f"{_what(name, options)} is no longer for sale." if name else None
        extra = {"variant_id": variant_id} if variant_id is not None else {}
        super().__init__(detail, product_id=product_id, **extra)


class VariantRequired(ApplicationError):
    """A product with several variants was named where one of them must be chosen."""

    code = "variant_required"
    status_code = 400
    default_detail = "Choose one of this product's variants (variant_id)."

    def __init__(self, *, product_id: int, name: str = ""):
        detail = f"Choose a variant of “{name}” (variant_id)." if name else None
        super().__init__(detail, product_id=product_id)


class CartTokenUnknown(ApplicationError):
    """An X-Cart-Token that names no guest cart (never issued, or the cart was purged)."""

    code = "cart_token_unknown"
    status_code = 404
    default_detail = (
        "This guest cart token names no cart (guest carts are deleted after a while "
        "untouched): get a new one from POST /api/v1/cart/token/."
    )
