"""Categories: a tree, managed by platform staff; the cached tree follows each change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog import policies
from catalog.models import Category
from catalog.services.search import product_search_index_update
from core.errors import DomainValidationError, NotPermitted
from shops.services import unique_slug

# --- Categories ------------------------------------------------------------------------


def _category_validate_parent(category: Category, parent: Category | None) -> None:
    node = parent
    while node is not None:
        if category.pk and node.pk == category.pk:
            message = _("A category cannot be placed below itself.")
            raise DomainValidationError(message, fields={"parent": [message]})
        node = node.parent


CATEGORY_REFUSALS = {
    "add": gettext_lazy("You do not have permission to add categories."),
    "change": gettext_lazy("You do not have permission to change categories."),
    "delete": gettext_lazy("You do not have permission to delete categories."),
}


def _require_category_manager(*, by: User | None, action: str) -> None:
    if by is not None and not policies.may_manage_categories(by, action):
        raise NotPermitted(str(CATEGORY_REFUSALS[action]))


@transaction.atomic
def category_create(*, data: dict[str, Any], by: User | None = None) -> Category:
    _require_category_manager(by=by, action="add")
    category = Category(
        name=(data.get("name") or "").strip(),
        parent=data.get("parent"),
        description=data.get("description", ""),
        position=data.get("position", 0),
    )
    category.slug = data.get("slug") or unique_slug(Category, category.name, max_length=140)
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def category_update(
    *, category: Category, data: dict[str, Any], by: User | None = None
) -> Category:
    _require_category_manager(by=by, action="change")
    if "parent" in data:
        _category_validate_parent(category, data["parent"])
    renamed = "name" in data and data["name"] != category.name
    for field in ("name", "parent", "description", "position", "slug"):
        if field in data:
            setattr(category, field, data[field])
    category.full_clean()
    category.save()
    if renamed:
        product_search_index_update(product_ids=category.products.values_list("id", flat=True))
    return category


@transaction.atomic
def category_delete(*, category: Category, by: User | None = None) -> None:
    """Delete a category with no sub-categories; its products become uncategorised."""
    _require_category_manager(by=by, action="delete")
    if category.children.exists():
        message = _("Move or delete its sub-categories first.")
        raise DomainValidationError(message, fields={"parent": [message]})
    product_ids = list(category.products.values_list("id", flat=True))
    category.delete()
    product_search_index_update(product_ids=product_ids)
