"""Languages: which one a person reads, and the middleware that applies their choice.

The shop speaks the languages of `settings.LANGUAGES`. A request is served in, first,
the language picked with the footer's switcher (Django's language cookie, set by
`set_language`), then the signed-in person's preference (`User.language`), then the
browser's `Accept-Language`, then `LANGUAGE_CODE`. Mail and notifications are written
in their recipient's language (`language_of`), whatever language the request that
caused them was in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django.views.i18n import set_language as django_set_language


def supported(code: str | None) -> str | None:
    """`code` as one of the shop's languages (`de-AT` → `de`), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_of(user: Any, *, fallback: str | None = None) -> str:
    """The language to write to `user` in: their preference, else `fallback` (the
    language they last used, say an order's), else the site's."""
    return (
        supported(getattr(user, "language", None))
        or supported(fallback)
        or supported(settings.LANGUAGE_CODE)
        or settings.LANGUAGE_CODE
    )


def by_language(people: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(address, preferred language) pairs grouped by the language to write in: one
    mail per language to a shop's members, say."""
    groups: dict[str, list[str]] = {}
    for address, preferred in people:
        groups.setdefault(language_of(None, fallback=preferred), []).append(address)
    return groups


@contextmanager
def in_language_of(user: Any, *, fallback: str | None = None) -> Iterator[str]:
    """Render inside in `user`'s language (see `language_of`)."""
    language = language_of(user, fallback=fallback)
    with translation.override(language):
        yield language


class UserLanguageMiddleware:
    """After Django's LocaleMiddleware and the authentication: a signed-in person who has
    not picked a language with the switcher in this browser reads the shop in the
    language of their preference rather than their browser's."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            user = getattr(request, "user", None)
            preferred = (
                supported(getattr(user, "language", None))
                if user is not None and user.is_authenticated
                else None
            )
            if preferred and preferred != request.LANGUAGE_CODE:
                translation.activate(preferred)
                request.LANGUAGE_CODE = preferred
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's switcher: Django's `set_language` (the language cookie, back to the
    page), and for a signed-in person their preference too, which their mail follows."""
    response = django_set_language(request)
    chosen = supported(request.POST.get("language"))
    user = request.user
    if chosen and user.is_authenticated and user.language != chosen:
        user.language = chosen
        user.save(update_fields=["language"])
    return response


_catalog = JavaScriptCatalog.as_view()


@cache_control(max_age=24 * 3600, public=True)
def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """The pages' scripts' texts (static/js: gettext, ngettext) in the language its address
    names, so that a browser may keep it for a day."""
    with translation.override(supported(language) or settings.LANGUAGE_CODE):
        return _catalog(request)
