from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


def quoted_product(name: str, options: str = "") -> str:
    """A product as the cart's messages name it: “T-shirt” (Size: M), or “Mug”."""
    if options:
        # Translators: a product and its chosen options, e.g. “T-shirt” (Size: M).
        return gettext("“%(name)s” (%(options)s)") % {"name": name, "options": options}
    return gettext("“%(name)s”") % {"name": name}


def _what(name: str, options: str) -> str:
    return quoted_product(name, options) if name else gettext("this product")


class InsufficientStock(ApplicationError):
    """Not enough of a variant; `product_id` and `variant_id` name it."""

    code = "insufficient_stock"
    status_code = 409
    default_detail = _("Not enough stock.")

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
        if available:
            detail = ngettext(
                "Only %(available)d of %(product)s left.",
                "Only %(available)d of %(product)s left.",
                available,
            ) % {"available": available, "product": what}
        elif name:
            detail = gettext("%(product)s is out of stock.") % {"product": what}
        else:
            detail = gettext("This product is out of stock.")
        extra = {"variant_id": variant_id} if variant_id is not None else {}
        super().__init__(detail, product_id=product_id, available=available, **extra)


class ProductUnavailable(ApplicationError):
    code = "product_unavailable"
    status_code = 409
    default_detail = _("This product is no longer for sale.")

    def __init__(
        self, *, product_id: int, name: str = "", variant_id: int | None = None, options: str = ""
    ):
        detail = (
            gettext("%(product)s is no longer for sale.") % {"product": _what(name, options)}
            if name
            else None
        )
        extra = {"variant_id": variant_id} if variant_id is not None else {}
        super().__init__(detail, product_id=product_id, **extra)


class VariantRequired(ApplicationError):
    """A product with several variants was named where one of them must be chosen."""

    code = "variant_required"
    status_code = 400
    default_detail = _("Choose one of this product's variants (variant_id).")

    def __init__(self, *, product_id: int, name: str = ""):
        detail = (
            gettext("Choose a variant of “%(name)s” (variant_id).") % {"name": name}
            if name
            else None
        )
        super().__init__(detail, product_id=product_id)


class CartTokenUnknown(ApplicationError):
    """An X-Cart-Token that names no guest cart (never issued, or the cart was purged)."""

    code = "cart_token_unknown"
    status_code = 404
    default_detail = _(
        "This guest cart token names no cart (guest carts are deleted after a while "
        "untouched): get a new one from POST /api/v1/cart/token/."
    )
