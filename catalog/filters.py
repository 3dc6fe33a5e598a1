"""The product filters and sorts, shared by the API and the pages."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.utils import extend_schema_field

from catalog.models import Product, ProductVariant
from catalog.selectors import category_descendant_ids, product_search

MAX_OPTION_FILTERS = 20


class OptionValuesField(forms.Field):
    """`option=Size:M` (repeatable) as [("Size", "M"), ...]."""

    widget = forms.MultipleHiddenInput  # reads every `option` of the query string

    def to_python(self, value):
        if not value:
            return []
        items = [value] if isinstance(value, str) else list(value)
        if len(items) > MAX_OPTION_FILTERS:
            raise ValidationError(
                _("At most %(count)d option filters.") % {"count": MAX_OPTION_FILTERS}
            )
        pairs = []
        for item in items:
            name, colon, chosen = str(item).partition(":")
            if not colon or not name.strip() or not chosen.strip():
                raise ValidationError(
                    _("Write an option as name:value (Size:M), not %(item)s.")
                    % {"item": repr(item)}
                )
            pairs.append((name.strip()[:60], chosen.strip()[:100]))
        return pairs


def options_chosen(pairs) -> dict[str, list[str]]:
    """{option name (lower case): [values]} of `option=` filters."""
    chosen: dict[str, list[str]] = {}
    for name, value in pairs:
        chosen.setdefault(name.lower(), []).append(value)
    return chosen


def variant_has_options(chosen: dict[str, list[str]]) -> Q:
    """A live, active variant (of the outer product) with one of the values of each
    chosen option: values of one option OR-ed, options AND-ed, on the same variant."""
    variants = ProductVariant.objects.filter(
        product=OuterRef("pk"), deleted_at__isnull=True, is_active=True
    )
    links = ProductVariant.option_values.through.objects
    for name, values in chosen.items():
        any_value = Q()
        for value in values:
            any_value |= Q(productoptionvalue__value__iexact=value)
        variants = variants.filter(
            Exists(
                links.filter(
                    any_value,
                    productvariant_id=OuterRef("pk"),
                    productoptionvalue__option__name__iexact=name,
                )
            )
        )
    return Q(Exists(variants))


@extend_schema_field({"type": "array", "items": {"type": "string", "example": "Size:M"}})
class OptionFilter(django_filters.Filter):
    field_class = OptionValuesField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(variant_has_options(options_chosen(value)))


ORDERINGS = {
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "-created_at": ("-created_at", "-id"),
    # The order of the home page's "top rated" row, and of an index (catalog.models).
    "-rating": (
        F("rating_average").desc(nulls_last=True),
        "-rating_count",
        "-created_at",
        "-id",
    ),
    "name": ("name", "id"),
    "relevance": ("-rank", "-id"),
}
ORDERING_LABELS = {
    "relevance": gettext_lazy("Best match"),
    "-created_at": gettext_lazy("Newest"),
    "price": gettext_lazy("Price: low to high"),
    "-price": gettext_lazy("Price: high to low"),
    "-rating": gettext_lazy("Top rated"),
    # Translators: sorting products by their name.
    "name": pgettext_lazy("sort by", "Name"),
}


MAX_ID = 2**63 - 1  # the largest id a database row can have


def _id_or_slug(field: str, value: str) -> Q:
    """`field` by id (digits) or slug; an id no row can have matches nothing."""
    value = value.strip()
    if value.isdigit():
        number = int(value)
        return Q(**{f"{field}__id": number}) if number <= MAX_ID else Q(pk__in=[])
    return Q(**{f"{field}__slug": value})


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    category = django_filters.CharFilter(method="filter_category", label="Category (id or slug)")
    shop = django_filters.CharFilter(method="filter_shop", label="Shop (id or slug)")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag (id or slug)")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte", min_value=0)
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte", min_value=0)
    in_stock = django_filters.ChoiceFilter(
        method="filter_in_stock",
        choices=[("true", "Yes"), ("false", "No")],
        empty_label="Any",
    )
    option = OptionFilter(
        label="Option (name:value, repeatable: values of one option OR-ed, options AND-ed)"
    )
    min_rating = django_filters.NumberFilter(
        field_name="rating_average", lookup_expr="gte", min_value=0, max_value=5
    )
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", choices=list(ORDERING_LABELS.items()), empty_label=None
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return product_search(queryset, value) if value.strip() else queryset

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=category_descendant_ids(value))

    def filter_shop(self, queryset, name, value):
        return queryset.filter(_id_or_slug("shop", value))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(_id_or_slug("tags", value))

    def filter_in_stock(self, queryset, name, value):
        if value == "true":
            return queryset.filter(stock_quantity__gt=0)
        if value == "false":
            return queryset.filter(stock_quantity=0)
        return queryset

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in `qs`, once the search annotation exists

    @property
    def qs(self):
        queryset = super().qs
        ordering = self.form.cleaned_data.get("ordering") if self.form.is_valid() else None
        searching = bool((self.form.cleaned_data.get("q") or "").strip())
        if ordering == "relevance" and not searching:
            ordering = None
        if not ordering:
            ordering = "relevance" if searching else "-created_at"
        return queryset.order_by(*ORDERINGS[ordering])
