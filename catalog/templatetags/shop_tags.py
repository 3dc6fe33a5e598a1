"""Template helpers of the storefront: prices, star ratings, stock states, image
addresses and links that keep the listing's filters.

    {% load shop_tags %}
    {{ product.price|money:product.currency }}      $19.99, €19.99, £19.99, 19.99 CHF
    {% stars product.rating_average product.rating_count %}
    {% stock_status product as stock %}{{ stock.label }}
    <a href="{% query_update page=2 %}">            ?q=mug&page=2 (empty values dropped)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.http import QueryDict
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.selectors import product_is_for_sale

register = template.Library()

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
# Below this many units a product shows "Only N left" instead of "In stock".
FEW_LEFT = 5


# --- Money -------------------------------------------------------------------------------


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """A Decimal with two places and the currency, as the active language writes it:
    `$1,299.00`, `€19.99`, `19.99 CHF` in English, `1.299,00 $`, `19,99 €` in German."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    code = (currency or "").upper()
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not language.startswith("en") and code:
        # The reader's own way: 1.234,56 € in German, 1 234,56 € in French (Babel's CLDR).
        return format_currency(amount, code, locale=translation.to_locale(language))
    digits = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits} {code}".rstrip()


@register.filter
def mail_money(value: Any, currency: str | None = None) -> str:
    """An amount in a mail: `1234.56 EUR` in English (what English mails always said),
    the reader's own way elsewhere (`1.234,56 €`)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language.startswith("en") or value is None or value == "":
        return f"{value} {currency or ''}".rstrip()
    return money(value, currency)


# --- Stars -------------------------------------------------------------------------------


def _rating_number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        rating = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not rating.is_finite():
        return None
    return min(max(rating, Decimal(0)), Decimal(5))


@register.filter
def rating_text(value: Any) -> str:
    """`4.5 out of 5 stars`, `4 out of 5 stars`; empty without a rating."""
    rating = _rating_number(value)
    if rating is None:
        return ""
    shown = rating.quantize(Decimal("0.1"))
    text = formats.number_format(shown, decimal_pos=0 if shown == shown.to_integral() else 1)
    return _("%(rating)s out of 5 stars") % {"rating": text}


@register.inclusion_tag("catalog/_stars.html")
def stars(value: Any, count: int | None = None, size: str = "") -> dict[str, Any]:
    """A rating as five stars with a text alternative for screen readers.

    `count` (optional) adds "(12)" beside the stars; with `count` 0 or no rating the tag
    says "No reviews yet". The stars are drawn by CSS (`.stars-N`, N in half stars), so
    the page needs no inline style.
    """
    rating = _rating_number(value)
    if rating is None or count == 0:
        return {"rated": False, "count": count, "size": size}
    half_stars = int((rating * 2).to_integral_value())
    return {
        "rated": True,
        "half_stars": half_stars,
        "text": rating_text(rating),
        "count": count,
        "size": size,
    }


# --- Stock -------------------------------------------------------------------------------


@register.simple_tag
def stock_status(product) -> dict[str, str]:
    """What a shopper is told about the stock: a label and a CSS modifier."""
    quantity = product.stock_quantity
    if quantity <= 0:
        return {"label": _("Out of stock"), "state": "out"}
    if quantity <= FEW_LEFT:
        label = ngettext("Only %(count)d left", "Only %(count)d left", quantity)
        return {"label": label % {"count": quantity}, "state": "low"}
    return {"label": _("In stock"), "state": "in"}


# Colours a swatch can show (a CSS class each, site.css); other values get a neutral one.
SWATCH_COLOURS = {
    "black", "white", "grey", "gray", "silver", "red", "blue", "navy", "green", "olive",
    "yellow", "orange", "pink", "purple", "brown", "beige", "gold", "teal",
}  # fmt: skip
MAX_SWATCHES = 6


@register.filter
def swatches(product) -> list[dict[str, str]]:
    """The values of a product's Colour option for its card (prefetched by
    product_cards): [{name, css}], at most MAX_SWATCHES."""
    options = getattr(product, "colour_options", None) or []
    values = [value.value for option in options for value in option.values.all()]
    shown = []
    for name in values[:MAX_SWATCHES]:
        key = name.strip().lower().replace("gray", "grey")
        shown.append({"name": name, "css": key if key in SWATCH_COLOURS else "other"})
    return shown


@register.filter
def is_published(product) -> bool:
    """Whether everyone sees the product (members and staff also see unpublished ones)."""
    return product_is_for_sale(product)


# --- Images ------------------------------------------------------------------------------


@register.filter
def thumb_url(image) -> str:
    """The image's thumbnail once a worker has made it, the image itself until then."""
    if image is None:
        return ""
    return image.thumbnail.url if image.thumbnail else image.image.url


@register.filter
def first_image(product):
    """The product's first image from the prefetched list (no query), or None."""
    images = list(product.images.all())
    return images[0] if images else None


# --- Links -------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def query_update(context, **changes: Any) -> str:
    """The current query string with `changes` applied (None removes a key), empty
    values dropped, and a leading `?` (or "" when nothing is left).

    Pagination and sort links keep the listing's filters this way.
    """
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [value for value in values if value != ""]
        if kept:
            cleaned.setlist(key, kept)
    encoded = cleaned.urlencode()
    return f"?{encoded}" if encoded else ""
