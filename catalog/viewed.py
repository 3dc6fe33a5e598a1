"""Recently viewed products: what the product pages record and the recommendations show
("recently viewed", on the cart page and in the API).

Guests keep the list in a signed cookie of the browser session (`recently_viewed`, ids
newest first): no server session or row is made for a visitor who only browses, so the
product page of a first-time visitor stays the cached whole page (catalog.views.product)
and crawlers write nothing. Signed-in people keep theirs in the cookie too and, so that
it follows them to other devices and the API, in RecentlyViewed rows: written only when
the cookie says the product is not already the newest, so reloading a page writes
nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from catalog.models import RecentlyViewed

COOKIE = "recently_viewed"
KEEP = 12
COOKIE_SALT = "catalog.viewed"
COOKIE_MAX_AGE = 30 * 24 * 3600


def _owner(request: HttpRequest) -> str:
    """Whose list a cookie is: the signed-in person's id, "" for a guest. A cookie of
    someone else (the previous person on a shared computer) is no list at all."""
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else ""


def cookie_ids(request: HttpRequest) -> list[int]:
    """The ids the visitor's cookie holds, newest first (a forged or stale cookie, or
    another person's: none)."""
    raw = request.get_signed_cookie(COOKIE, default="", salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    owner, _sep, listed = raw.partition(":")
    if not raw or owner != _owner(request):
        return []
    ids = []
    for part in listed.split(".") if listed else []:
        if part.isdigit() and len(part) <= 18:
            ids.append(int(part))
    return ids[:KEEP]


def record_view(request: HttpRequest, response: HttpResponse, product_id: int) -> None:
    """Put `product_id` first in the visitor's list (the cookie, and the row of a
    signed-in person) unless it is first already."""
    ids = cookie_ids(request)
    if ids and ids[0] == product_id:
        return
    ids = [product_id, *[seen for seen in ids if seen != product_id]][:KEEP]
    response.set_signed_cookie(
        COOKIE,
        _owner(request) + ":" + ".".join(str(seen) for seen in ids),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        viewed_store(user=user, product_id=product_id)


def viewed_store(*, user, product_id: int) -> None:
    """One upsert; the rows past the newest KEEP go when the list is read long enough."""
    RecentlyViewed.objects.bulk_create(
        [RecentlyViewed(user=user, product_id=product_id, viewed_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "product"],
        update_fields=["viewed_at"],
    )


def viewed_of(*, user) -> QuerySet[RecentlyViewed]:
    return RecentlyViewed.objects.filter(user=user).order_by("-viewed_at")


def viewed_ids(request: HttpRequest | None = None, *, user=None) -> list[int]:
    """The visitor's recently viewed products, newest first: a signed-in person's rows
    (one query), else the cookie (none)."""
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return list(viewed_of(user=user).values_list("product_id", flat=True)[:KEEP])
    return cookie_ids(request) if request is not None else []


def viewed_trim() -> int:
    """Delete the rows past each person's newest KEEP (a daily beat task)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    ranked = RecentlyViewed.objects.annotate(
        rank=Window(RowNumber(), partition_by=[F("user_id")], order_by=F("viewed_at").desc())
    ).values_list("pk", "rank")
    old = [pk for pk, rank in ranked if rank > KEEP]
    deleted = 0
    for start in range(0, len(old), 1000):
        deleted += RecentlyViewed.objects.filter(pk__in=old[start : start + 1000]).delete()[0]
    return deleted
