"""Search: ranked full-text with typo tolerance on PostgreSQL, word matching on SQLite;
never stale after a change."""

import pytest

from catalog.filters import ProductFilter
from catalog.selectors import product_list_public
from catalog.services import category_update, product_update
from tests.factories import CategoryFactory, MembershipFactory, ProductFactory, TagFactory

pytestmark = pytest.mark.django_db


def search(q: str, **params) -> list[str]:
    found = ProductFilter({"q": q, **params}, queryset=product_list_public()).qs
    return [product.name for product in found]


@pytest.fixture
def catalog():
    audio = CategoryFactory(name="Audio")
    ProductFactory(name="Wireless Headphones", category=audio, tags=[TagFactory(name="bluetooth")])
    ProductFactory(name="Headphone Stand", description="Oak stand for any headset.")
    ProductFactory(name="Garden Hose", description="Twenty metres; no headphones included.")
    ProductFactory(name="Coffee Mug", description="Ceramic.")


@pytest.mark.postgresql
def test_name_matches_rank_above_description_matches(catalog):
    assert search("headphones") == ["Wireless Headphones", "Headphone Stand", "Garden Hose"]


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hedphones", "Wireless Headphones"),
        ("wireles hedphones", "Wireless Headphones"),
        ("cofee", "Coffee Mug"),
    ],
)
def test_small_typos_still_find_the_product(catalog, query, expected):
    assert search(query)[0] == expected


@pytest.mark.postgresql
def test_tags_and_categories_are_searched(catalog):
    assert search("bluetooth") == ["Wireless Headphones"]
    assert search("audio") == ["Wireless Headphones"]
    assert search("xylophone") == []


def test_search_matches_words_on_any_database(catalog):
    assert "Coffee Mug" in search("mug")
    assert search("zzzz") == []


@pytest.mark.postgresql
def test_explicit_sorting_overrides_relevance(catalog):
    assert search("headphones", ordering="name") == [
        "Garden Hose",
        "Headphone Stand",
        "Wireless Headphones",
    ]


def test_search_is_never_stale_after_a_change():
    member = MembershipFactory()
    product = ProductFactory(shop=member.shop, name="Plain Box")
    product_update(user=member.user, product=product, data={"name": "Walnut Jewellery Box"})
    assert search("walnut") == ["Walnut Jewellery Box"]

    product_update(user=member.user, product=product, data={"tags": ["heirloom"]})
    assert search("heirloom") == ["Walnut Jewellery Box"]


@pytest.mark.postgresql
def test_a_renamed_category_is_found_at_once():
    category = CategoryFactory(name="Misc")
    ProductFactory(name="Thing", category=category)
    category_update(category=category, data={"name": "Woodwork"})
    assert search("woodwork") == ["Thing"]
