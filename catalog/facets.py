"""Facets of the catalog: how many products each filter value would show, for a faceted
sidebar (GET /api/v1/products/facets/ and the listing pages).

The counts of one facet respect every *other* active filter: with `option=Size:M` and
`shop=oak`, the Size counts are of the oak shop's products of any size (so that the
sidebar can offer L beside M), and the Colour counts are of its size-M products. Each
facet is one grouped query over the same filtered catalog (catalog.filters.ProductFilter).
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import Lower
from django.http import QueryDict

from catalog.filters import OptionValuesField, ProductFilter, options_chosen
from catalog.models import Product, ProductOptionValue

# Price buckets: [low, high) with the last one open.
PRICE_BUCKETS = (0, 25, 50, 100, 250, 500, None)
RATINGS = (4, 3, 2, 1)
MAX_VALUES = 50  # per option, category, shop or tag


def _without(data: QueryDict, *keys: str) -> QueryDict:
    copy = data.copy()
    for key in ("page", "page_size", "ordering", *keys):
        copy.pop(key, None)
    return copy


def _filtered(base: QuerySet[Product], data: QueryDict) -> QuerySet[Product]:
    """`base` filtered by `data` (the filters' errors were reported by the caller)."""
    return ProductFilter(data, queryset=base).qs.order_by()


def product_facets(*, base: QuerySet[Product], data: QueryDict) -> dict[str, Any]:
    """The facets of the products of `base` under the filters of `data` (a QueryDict of
    ProductFilter's parameters; invalid ones must have been refused before)."""
    chosen_pairs = OptionValuesField(required=False).clean(data.getlist("option"))
    chosen = options_chosen(chosen_pairs)
    return {
        "options": _option_facets(base, data, chosen),
        "categories": _related_facet(
            _filtered(base, _without(data, "category")), "category", selected=data.get("category")
        ),
        "shops": _related_facet(
            _filtered(base, _without(data, "shop")), "shop", selected=data.get("shop")
        ),
        "tags": _related_facet(
            _filtered(base, _without(data, "tag")), "tags", selected=data.get("tag")
        ),
        "ratings": _rating_facet(_filtered(base, _without(data, "min_rating"))),
        "prices": _price_facet(_filtered(base, _without(data, "min_price", "max_price"))),
    }


def option_facets(*, base: QuerySet[Product], data: QueryDict) -> list[dict]:
    """The option facets alone (the listing pages' sidebar)."""
    chosen = options_chosen(OptionValuesField(required=False).clean(data.getlist("option")))
    return _option_facets(base, data, chosen)


def _related_facet(products: QuerySet[Product], field: str, *, selected) -> list[dict]:
    rows = (
        products.filter(**{f"{field}__isnull": False})
        .values(f"{field}__id", f"{field}__slug", f"{field}__name")
        .annotate(count=Count("pk", distinct=True))
        .order_by("-count", f"{field}__name")[:MAX_VALUES]
    )
    selected = str(selected or "")
    return [
        {
            "id": row[f"{field}__id"],
            "slug": row[f"{field}__slug"],
            "name": row[f"{field}__name"],
            "count": row["count"],
            "selected": selected in (str(row[f"{field}__id"]), row[f"{field}__slug"]),
        }
        for row in rows
    ]


def _rating_facet(products: QuerySet[Product]) -> list[dict]:
    counts = products.aggregate(
        **{f"r{low}": Count("pk", filter=Q(rating_average__gte=low)) for low in RATINGS}
    )
    return [{"min_rating": low, "count": counts[f"r{low}"]} for low in RATINGS]


def _price_facet(products: QuerySet[Product]) -> list[dict]:
    """Products by their (lowest) price in each bucket."""
    buckets = list(pairwise(PRICE_BUCKETS))
    conditions = {}
    for index, (low, high) in enumerate(buckets):
        condition = Q(price__gte=low)
        if high is not None:
            condition &= Q(price__lt=high)
        conditions[f"p{index}"] = Count("pk", filter=condition)
    counts = products.aggregate(**conditions)
    return [
        {
            "min": f"{Decimal(low):.2f}",
            "max": f"{Decimal(high):.2f}" if high is not None else None,
            "count": counts[f"p{index}"],
        }
        for index, (low, high) in enumerate(buckets)
    ]


def _option_facets(
    base: QuerySet[Product], data: QueryDict, chosen: dict[str, list[str]]
) -> list[dict]:
    """Per option name (case aside): its values and how many products have a variant on
    sale with it. The chosen options' own counts leave out their own filter."""
    others = _without(data, "option")
    plain = _filtered(base, others)
    result = _option_rows(plain if not chosen else _filtered(base, data), exclude=set(chosen))
    for name in chosen:
        kept = QueryDict(mutable=True)
        kept.update(others)
        for other, values in chosen.items():
            if other != name:
                for value in values:
                    kept.appendlist("option", f"{other}:{value}")
        result += _option_rows(_filtered(base, kept), only=name)
    for facet in result:
        wanted = {value.lower() for value in chosen.get(facet["name"].lower(), [])}
        for value in facet["values"]:
            value["selected"] = value["value"].lower() in wanted
    result.sort(key=lambda facet: (facet["position"], facet["name"].lower()))
    return [{"name": facet["name"], "values": facet["values"]} for facet in result]


def _option_rows(
    products: QuerySet[Product], *, exclude: set[str] = frozenset(), only: str | None = None
) -> list[dict]:
    values = ProductOptionValue.objects.filter(
        option__product__in=products.values("pk"),
        variants__deleted_at__isnull=True,
        variants__is_active=True,
    )
    if only is not None:
        values = values.filter(option__name__iexact=only)
    rows = (
        values.annotate(name_key=Lower("option__name"), value_key=Lower("value"))
        .values("name_key", "value_key")
        .annotate(
            name=Min("option__name"),
            value=Min("value"),
            position=Max("position"),
            option_position=Min("option__position"),
            count=Count("option__product", distinct=True),
        )
        .order_by("option_position", "name_key", "position", "value_key")
    )
    facets: dict[str, dict] = {}
    for row in rows:
        if row["name_key"] in exclude:
            continue
        facet = facets.setdefault(
            row["name_key"],
            {"name": row["name"], "position": row["option_position"], "values": []},
        )
        if len(facet["values"]) < MAX_VALUES:
            facet["values"].append({"value": row["value"], "count": row["count"]})
    return list(facets.values())
