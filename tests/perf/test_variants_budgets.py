"""Query budgets of what shows variants: a product's detail (API and page) and its list of
variants cost the same for a product with 1, 10 or 500 variants, and the lists and
search the same at page size 1 and 100 when every product has several variants.

Every request is measured cold (the cache emptied first): the database work of a miss.
The upper bounds are those of test_query_budgets.py where it has the row; the others
are this file's own (see VARIANT_BUDGETS)."""

import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductVariant,
)
from catalog.services import product_search_index_update, products_summary_refresh
from shops.models import Shop
from tests.conftest import bearer_client
from tests.factories import MembershipFactory, UserFactory, verify_email
from tests.perf.test_query_budgets import BUDGETS

pytestmark = pytest.mark.django_db

# test_query_budgets.py measures a product without options: one with options also reads
# its options' values (one query, whatever their number).
OPTION_VALUES = 1


def budget(who: str, path: str) -> int:
    return BUDGETS[(who, path)]


# Its rows plus the values, and the bounds of what it has no row for: the detail asked
# by a signed-in buyer or the shop's owner (+ the bearer token's user, the caller's shops
# and whether they manage the product), and products/{id}/variants/ (the product with
# its card's relations, its options and values, its variants; + the running sales).
VARIANT_BUDGETS = {
    ("anonymous", "/api/v1/products/{product_id}/"): budget(
        "anonymous", "/api/v1/products/{product_id}/"
    )
    + OPTION_VALUES,
    ("buyer", "/api/v1/products/{product_id}/"): 10,
    ("owner", "/api/v1/products/{product_id}/"): 10,
    ("anonymous", "/api/v1/products/{product_id}/variants/"): 7,
    ("buyer", "/api/v1/products/{product_id}/variants/"): 10,
    ("owner", "/api/v1/products/{product_id}/variants/"): 10,
    ("anonymous", "/products/{product_slug}/"): budget("anonymous", "/products/{product_slug}/")
    + OPTION_VALUES,
    ("buyer", "/products/{product_slug}/"): budget("buyer", "/products/{product_slug}/")
    + OPTION_VALUES,
}
# The API's lists and search read no options: test_query_budgets.py's rows as they are.
LIST_PATHS = [
    ("anonymous", "/api/v1/products/?page_size={n}"),
    ("buyer", "/api/v1/products/?page_size={n}&ordering=price"),
    ("anonymous", "/api/v1/products/search/?q=thing&page_size={n}"),
]
LIST_BUDGETS = {
    **{key: budget(*key) for key in LIST_PATHS},
    # Search by an option value and by a variant's SKU: the same work.
    ("anonymous", "/api/v1/products/search/?q=navy&page_size={n}"): budget(
        "anonymous", "/api/v1/products/search/?q=thing&page_size={n}"
    ),
    ("anonymous", "/api/v1/products/search/?q={sku}&page_size={n}"): budget(
        "anonymous", "/api/v1/products/search/?q=thing&page_size={n}"
    ),
}
MORE_FROM_THE_SHOP = 5  # other products, so that the page's "more from the shop" is full


def variant_sku(product, number: int) -> str:
    """One word, like nothing else of the product (search finds the product by it)."""
    return f"ZQ{product.pk:06d}N{number:03d}"


def add_variants(products, spec, *, stock=5) -> None:
    """Give each product the options of `spec` ([(name, [values])]) and one variant of
    every combination, in bulk (a few queries whatever the number), then their summary
    and search words."""
    options = ProductOption.objects.bulk_create(
        ProductOption(product=product, name=name, position=position)
        for product in products
        for position, (name, _values) in enumerate(spec)
    )
    values = ProductOptionValue.objects.bulk_create(
        ProductOptionValue(option=option, value=value, position=position)
        for option in options
        for position, value in enumerate(spec[option.position][1])
    )
    by_option: dict[int, list] = {}
    for value in values:
        by_option.setdefault(value.option_id, []).append(value)
    variants, combos = [], []
    for product in products:
        own = [option for option in options if option.product_id == product.pk]
        for number, combo in enumerate(itertools.product(*(by_option[o.pk] for o in own))):
            variants.append(
                ProductVariant(
                    product=product,
                    shop_id=product.shop_id,
                    sku=variant_sku(product, number),
                    price=Decimal("10.00") + number % 7,
                    compare_at_price=Decimal("20.00") if number % 3 == 0 else None,
                    stock_quantity=0 if number % 4 == 3 else stock,
                    position=number,
                    combination="-".join(str(value.pk) for value in combo),
                    options_text=" / ".join(
                        f"{option.name}: {value.value}"
                        for option, value in zip(own, combo, strict=True)
                    ),
                )
            )
            combos.append(combo)
    ProductVariant.objects.bulk_create(variants)
    Through = ProductVariant.option_values.through
    Through.objects.bulk_create(
        Through(productvariant_id=variant.pk, productoptionvalue_id=value.pk)
        for variant, combo in zip(variants, combos, strict=True)
        for value in combo
    )
    ids = [product.pk for product in products]
    products_summary_refresh(product_ids=ids)
    product_search_index_update(product_ids=ids)


def add_simple_variants(products) -> None:
    """One variant each, no options (as the products of test_query_budgets.py)."""
    ProductVariant.objects.bulk_create(
        ProductVariant(
            product=product, shop_id=product.shop_id, sku=product.slug.upper(), price=product.price
        )
        for product in products
    )
    ids = [product.pk for product in products]
    products_summary_refresh(product_ids=ids)
    product_search_index_update(product_ids=ids)


# 1, 10 and 500 variants, of the same options structure (three options, so that every
# prefetch of options and values runs whatever the size).
SPECS = {
    1: [("Size", ["One size"]), ("Colour", ["Navy"]), ("Fit", ["Regular"])],
    10: [("Size", ["XS", "S", "M", "L", "XL"]), ("Colour", ["Navy", "Red"]), ("Fit", ["Regular"])],
    500: [
        ("Size", [f"S{number}" for number in range(10)]),
        ("Colour", ["Navy", *(f"Colour {number}" for number in range(9))]),
        ("Fit", ["Regular", "Slim", "Loose", "Tall", "Short"]),
    ],
}


def build_shop(name: str = "oak") -> dict:
    shop = Shop.objects.create(name=name.title(), slug=name)
    owner = MembershipFactory(shop=shop, role="owner").user
    things = Category.objects.create(name=f"Things of {name}", slug=f"things-{name}")
    return {"shop": shop, "owner": owner, "category": things, "buyer": verify_email(UserFactory())}


def new_products(world, count, *, prefix="thing") -> list[Product]:
    products = Product.objects.bulk_create(
        Product(
            shop=world["shop"],
            category=world["category"],
            name=f"Thing {prefix} {number}",
            slug=f"{prefix}-{number}",
            price=Decimal("10.00"),
            price_max=Decimal("10.00"),
        )
        for number in range(count)
    )
    ProductImage.objects.bulk_create(
        ProductImage(product=product, image=f"products/{product.pk}/a.png", width=1, height=1)
        for product in products
    )
    return products


def client_for(who: str, world: dict, path: str):
    api = path.startswith("/api/")
    if who == "anonymous":
        return APIClient() if api else Client()
    user = world[who]
    if api:
        return bearer_client(user)
    client = Client()
    client.force_login(user)
    return client


def queries(client, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def detail_counts(variant_count: int) -> tuple[dict, dict]:
    world = build_shop(f"oak-{variant_count}")
    [product] = new_products(world, 1, prefix=f"tee{variant_count}")
    add_variants([product], SPECS[variant_count])
    add_simple_variants(new_products(world, MORE_FROM_THE_SHOP, prefix=f"other{variant_count}"))
    assert ProductVariant.objects.filter(product=product).count() == variant_count
    values = {"product_id": product.pk, "product_slug": product.slug}
    found, shown = {}, {}
    for (who, template), _budget in VARIANT_BUDGETS.items():
        path = template.format(**values)
        client = client_for(who, world, path)
        found[(who, template)] = queries(client, path)
        if template.endswith("/variants/"):
            shown[(who, template)] = len(client.get(path).json())
        elif template.startswith("/api/"):
            shown[(who, template)] = len(client.get(path).json()["variants"])
    return found, shown


def test_a_products_detail_costs_the_same_for_1_10_and_500_variants():
    counts, shown = {}, {}
    for size in (1, 10, 500):
        counts[size], shown[size] = detail_counts(size)
        # All of them were read: the answers hold every variant.
        assert set(shown[size].values()) == {size}, shown[size]
    assert counts[1] == counts[10] == counts[500], counts
    over = {key: found for key, found in counts[500].items() if found > VARIANT_BUDGETS[key]}
    assert not over, over


def test_the_500_variant_product_from_product_options_set_costs_the_same():
    """The same product made by the service (10 x 10 x 5 values) rather than in bulk."""
    from catalog.services import product_options_set

    world = build_shop()
    [product] = new_products(world, 1)
    ProductVariant.objects.create(
        product=product, shop=world["shop"], sku="T-1", price=Decimal("10.00")
    )
    product_options_set(
        user=None,
        product=product,
        options=[{"name": name, "values": values} for name, values in SPECS[500]],
    )
    add_simple_variants(new_products(world, MORE_FROM_THE_SHOP, prefix="other"))
    assert Product.objects.get(pk=product.pk).variant_count == 500
    values = {"product_id": product.pk, "product_slug": product.slug}
    found = {
        key: queries(client_for(key[0], world, key[1].format(**values)), key[1].format(**values))
        for key in VARIANT_BUDGETS
    }
    over = {key: count for key, count in found.items() if count > VARIANT_BUDGETS[key]}
    assert not over, over


def list_counts(n: int) -> dict:
    world = build_shop(f"oak-{n}")
    products = new_products(world, n, prefix=f"thing{n}")
    add_variants(products, [("Size", ["S", "M"]), ("Colour", ["Navy", "Red", "Green"])])
    found = {}
    for (who, template), _budget in LIST_BUDGETS.items():
        path = template.format(n=n, sku=variant_sku(products[0], 4))
        client = client_for(who, world, path)
        found[(who, template)] = queries(client, path)
        if path.startswith("/api/"):
            body = client.get(path).json()
            assert len(body["results"]) == (1 if "ZQ" in path else n), path
            assert {row["variant_count"] for row in body["results"]} == {6}
    return found


def test_lists_and_search_cost_the_same_at_page_size_1_and_100():
    small, large = list_counts(1), list_counts(100)
    assert small == large, {key: (small[key], large[key]) for key in small}
    over = {key: found for key, found in large.items() if found > LIST_BUDGETS[key]}
    assert not over, over


def test_a_product_without_options_keeps_test_query_budgets_rows():
    world = build_shop()
    [product] = new_products(world, 1)
    add_simple_variants([product, *new_products(world, MORE_FROM_THE_SHOP, prefix="other")])
    values = {"product_id": product.pk, "product_slug": product.slug}
    for key in (
        ("anonymous", "/api/v1/products/{product_id}/"),
        ("anonymous", "/products/{product_slug}/"),
        ("buyer", "/products/{product_slug}/"),
    ):
        path = key[1].format(**values)
        assert queries(client_for(key[0], world, path), path) <= BUDGETS[key], key
    for key, bound in VARIANT_BUDGETS.items():
        path = key[1].format(**values)
        assert queries(client_for(key[0], world, path), path) <= bound, key
