"""Whole pages for first-time visitors: the storefront's front door (home, listings,
category and shop pages) as the product page is sent (catalog.views.product).

A visitor who is not signed in and has nothing of their own on the server (no session:
no guest cart, no message) sees the same page as the next one but for the CSRF token.
That page is rendered once with a placeholder where the token goes, cached while the
catalog generation stands (and any other generation it shows: a shop's shipping), per
language and address, and sent with this visitor's token put in. Everyone else's page
is rendered around the cached listing as before."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from catalog import caching


def first_visit(request: HttpRequest) -> bool:
    """Nothing of the visitor's own can be on the page."""
    return not (
        request.user.is_authenticated
        or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        or request.COOKIES.get("messages")
    )


class _NotKept(Exception):
    """A page answered with something other than 200: sent as it is, never cached."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def send(
    request: HttpRequest,
    *,
    name: str,
    render_page: Callable[[dict], HttpResponse],
    also: tuple[str, ...] = (),
) -> HttpResponse:
    """The page `render_page(extra_context)` renders, whole from the cache for a first
    visit (`also`: more generations it stands on, beside the catalog's)."""
    if not first_visit(request):
        return render_page({})

    def build() -> tuple[str, str]:
        placeholder = f"csrf-{secrets.token_hex(16)}"
        # The view's context wins over the context processor's csrf_token.
        response = render_page({"csrf_token": placeholder})
        if response.status_code != 200:
            raise _NotKept(response)
        return placeholder, response.content.decode()

    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=12).hexdigest()
    try:
        placeholder, html = caching.page_read(
            key=f"whole:{name}:{digest}", build=build, also=also, timeout=caching.PAGE_TIMEOUT
        )
    except _NotKept as refused:
        return refused.response
    return HttpResponse(html.replace(placeholder, get_token(request)))
