"""Parts of the cached whole product page that are filled in when it is sent (a
registry: the apps above register what they show there, so the catalog imports none).

The whole page of a first-time visitor is cached under its product's version (its shop
and the taxonomy: catalog.views.product). A part that shows other products (the
recommendations) must follow their changes instead: the page holds a marker where it
goes, and each sending replaces the marker with what the registered function answers
(from its own cache, keyed by what it depends on). A part names the cache keys it reads
for a product (`keys`), so that the page reads them in its own round trip.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Render = Callable[[HttpRequest, int, dict[str, object] | None], str]
Keys = Callable[[int], list[str]]
_parts: dict[str, tuple[Render, Keys]] = {}


def register(name: str, render: Render, *, keys: Keys) -> None:
    """`render(request, product_id, read_ahead)` answers the HTML of the part `name`;
    `keys(product_id)` the cache keys it reads, which it finds in `read_ahead` (a missing
    one as None) when the page read them already."""
    _parts[name] = (render, keys)


def marker(name: str) -> SafeString:
    return mark_safe(f"<!--late-part:{name}-->")  # noqa: S308 (a constant comment)


def keys(product_id: int) -> list[str]:
    """The cache keys every part reads for this product."""
    return [key for _render, part_keys in _parts.values() for key in part_keys(product_id)]


def fill(
    request: HttpRequest,
    html: str,
    product_id: int,
    read_ahead: dict[str, object] | None = None,
) -> str:
    for name, (render, _keys) in _parts.items():
        place = marker(name)
        if place in html:
            html = html.replace(place, render(request, product_id, read_ahead))
    return html
