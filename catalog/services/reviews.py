"""Reviews and ratings: one review per person and product, verified purchases through a
registered checker."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils.translation import gettext as _

from accounts.models import User
from catalog import policies
from catalog.exceptions import (
    AlreadyReviewed,
    ReviewNotAllowed,
)
from catalog.models import Product, Review
from core.errors import DomainValidationError
from shops.exceptions import ShopPermissionDenied
from shops.selectors import user_is_member

# --- Reviews ---------------------------------------------------------------------------

PurchaseChecker = Callable[[User, Product], bool]
_purchase_checkers: list[PurchaseChecker] = []


def register_purchase_checker(checker: PurchaseChecker) -> None:
    """The orders app tells the catalog who bought what (it sits above the catalog)."""
    if checker not in _purchase_checkers:
        _purchase_checkers.append(checker)


def _bought(user: User, product: Product) -> bool:
    return any(checker(user, product) for checker in _purchase_checkers)


def product_rating_refresh(*, product: Product) -> None:
    stats = Review.objects.filter(product=product).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = stats["average"]
    Product.objects.filter(pk=product.pk).update(
        rating_average=Decimal(str(average)).quantize(Decimal("0.01"))
        if average is not None
        else None,
        rating_count=stats["count"],
    )


def _validate_rating(rating: Any) -> int:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        message = _("Give a rating from 1 to 5 stars.")
        raise DomainValidationError(message, fields={"rating": [message]})
    return rating


@transaction.atomic
def review_create(
    *, user: User, product: Product, rating: int, title: str = "", body: str = ""
) -> Review:
    """One review per person and product; the shop's own members may not review it."""
    if user_is_member(user=user, shop=product.shop_id):
        raise ReviewNotAllowed()
    Product.objects.select_for_update().filter(pk=product.pk).first()  # serialises the rating
    if Review.objects.filter(product=product, user=user).exists():
        raise AlreadyReviewed()
    review = Review(
        product=product,
        user=user,
        rating=_validate_rating(rating),
        title=title.strip(),
        body=body.strip(),
        verified_purchase=_bought(user, product),
    )
    review.full_clean(exclude=["product", "user"])
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise AlreadyReviewed() from exc
    product_rating_refresh(product=product)
    return review


def _require_author(*, user: User | None, review: Review, action: str = "change") -> None:
    if user is not None and not policies.may_moderate_review(user, review, action):
        raise ShopPermissionDenied(_("Only the review's author (or staff) may change it."))


@transaction.atomic
def review_update(*, user: User, review: Review, data: dict[str, Any]) -> Review:
    _require_author(user=user, review=review)
    Product.objects.select_for_update().filter(pk=review.product_id).first()
    if "rating" in data:
        review.rating = _validate_rating(data["rating"])
    for field in ("title", "body"):
        if field in data:
            setattr(review, field, (data[field] or "").strip())
    review.full_clean(exclude=["product", "user"])
    review.save()
    product_rating_refresh(product=review.product)
    return review


@transaction.atomic
def review_delete(*, user: User | None, review: Review) -> None:
    _require_author(user=user, review=review, action="delete")
    product = review.product
    Product.objects.select_for_update().filter(pk=product.pk).first()
    review.delete()
    product_rating_refresh(product=product)
