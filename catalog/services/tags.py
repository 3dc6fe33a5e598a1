"""Tags: made from names, renamed and deleted, with their products' search words kept in step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from catalog import policies
from catalog.models import Product, Tag
from catalog.services.search import product_search_index_update
from core.errors import NotPermitted
from shops.services import unique_slug

# --- Tags ------------------------------------------------------------------------------


def tags_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    """Tags by name (case-insensitive); names not seen before become new tags."""
    tags: list[Tag] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(name=name, slug=unique_slug(Tag, name, max_length=80))
            except IntegrityError:  # created at the same moment elsewhere
                tag = Tag.objects.get(name__iexact=name)
        tags.append(tag)
    return tags


# --- Tags ------------------------------------------------------------------------------


@transaction.atomic
def tag_update(*, tag: Tag, data: dict[str, Any], by: User | None = None) -> Tag:
    """Rename a tag (staff with `catalog.change_tag`): its products' search words follow."""
    if by is not None and not policies.may_manage_tags(by, "change"):
        raise NotPermitted(_("You do not have permission to change tags."))
    renamed = "name" in data and data["name"] != tag.name
    for field in ("name", "slug"):
        if field in data:
            setattr(tag, field, data[field])
    tag.full_clean()
    tag.save()
    if renamed:
        product_search_index_update(product_ids=tag.products.values_list("id", flat=True))
    return tag


@transaction.atomic
def tags_delete(*, tags, by: User | None = None) -> int:
    """Delete tags (staff with `catalog.delete_tag`); their products' search words follow."""
    if by is not None and not policies.may_manage_tags(by, "delete"):
        raise NotPermitted(_("You do not have permission to delete tags."))
    tags = Tag.objects.filter(pk__in=[tag.pk for tag in tags])
    product_ids = list(
        Product.objects.filter(tags__in=tags).values_list("id", flat=True).distinct()
    )
    count, _deleted = tags.delete()
    product_search_index_update(product_ids=product_ids)
    return count
