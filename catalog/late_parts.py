"""Parts of the cached whole product page that are filled in when it is sent (a
registry: the apps above register what they show there, so the catalog imports none).

The whole page of a first-time visitor is cached under its product's version (its shop
and the taxonomy: catalog.views.product). A part that shows other products (the
recommendations) must follow their changes instead: the page holds a marker where it
goes, and each sending replaces the marker with what the registered function answers
(from its own cache, keyed by what it depends on).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Render = Callable[[HttpRequest, int], str]
_parts: dict[str, Render] = {}


def register(name: str, render: Render) -> None:
    """`render(request, product_id)` answers the HTML of the part `name`."""
    _parts[name] = render


def marker(name: str) -> SafeString:
    return mark_safe(f"<!--late-part:{name}-->")  # noqa: S308 (a constant comment)


def fill(request: HttpRequest, html: str, product_id: int) -> str:
    for name, render in _parts.items():
        place = marker(name)
        if place in html:
            html = html.replace(place, render(request, product_id))
    return html
