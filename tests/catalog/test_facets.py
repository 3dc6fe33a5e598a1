"""Filtering by option values and the facets of the catalog (API and listing pages)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, ProductFactory, ShopFactory, TagFactory, set_stock

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"
FACETS = "/api/v1/products/facets/"


@pytest.fixture
def catalog():
    oak, elm = ShopFactory(name="Oak", slug="oak"), ShopFactory(name="Elm", slug="elm")
    shirts = CategoryFactory(name="Shirts", slug="shirts")
    cotton = TagFactory(name="cotton", slug="cotton")
    tee = ProductFactory(
        name="Tee",
        shop=oak,
        category=shirts,
        price="20.00",
        tags=[cotton],
        options=[("Size", ["S", "M", "L"]), ("Colour", ["Red", "Blue"])],
    )
    polo = ProductFactory(
        name="Polo",
        shop=elm,
        category=shirts,
        price="60.00",
        options=[("Size", ["M", "L"]), ("Colour", ["Blue"])],
    )
    mug = ProductFactory(name="Mug", shop=oak, price="8.00")  # no options
    return {"tee": tee, "polo": polo, "mug": mug, "oak": oak}


def names(client, query: str) -> list[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.json()
    return sorted(row["name"] for row in response.json()["results"])


def test_values_of_one_option_are_ored_and_options_anded_on_one_variant(api_client, catalog):
    assert names(api_client, "option=Size:S") == ["Tee"]
    assert names(api_client, "option=Size:S&option=Size:M") == ["Polo", "Tee"]
    assert names(api_client, "option=size:m&option=colour:BLUE") == ["Polo", "Tee"]
    assert names(api_client, "option=Size:S&option=Colour:Blue") == ["Tee"]
    assert names(api_client, "option=Size:S&option=Colour:Green") == []


def test_a_variant_off_sale_or_gone_does_not_match(api_client, catalog):
    tee = catalog["tee"]
    tee.variants.filter(options_text__contains="Size: S").update(is_active=False)
    assert names(api_client, "option=Size:S") == []


def test_an_option_filter_that_is_not_name_colon_value_is_a_400(api_client, catalog):
    response = api_client.get(f"{LIST}?option=SizeM")
    assert response.status_code == 400
    assert response.json()["fields"]["option"] == [
        "Write an option as name:value (Size:M), not 'SizeM'."
    ]
    assert api_client.get(f"{FACETS}?option=:M").status_code == 400


def _facet(body, name):
    return {value["value"]: value["count"] for value in _option(body, name)["values"]}


def _option(body, name):
    return next(facet for facet in body["options"] if facet["name"] == name)


def test_facets_count_products_per_value_category_shop_tag_rating_and_price(api_client, catalog):
    body = api_client.get(FACETS).json()
    assert set(body) == {"options", "categories", "shops", "tags", "ratings", "prices"}
    assert [facet["name"] for facet in body["options"]] == ["Size", "Colour"]
    assert _facet(body, "Size") == {"S": 1, "M": 2, "L": 2}
    assert _facet(body, "Colour") == {"Red": 1, "Blue": 2}
    assert [(row["slug"], row["count"]) for row in body["categories"]] == [("shirts", 2)]
    assert {row["slug"]: row["count"] for row in body["shops"]} == {"oak": 2, "elm": 1}
    assert [(row["slug"], row["count"]) for row in body["tags"]] == [("cotton", 1)]
    assert {row["min"]: row["count"] for row in body["prices"]} == {
        "0.00": 2,  # the mug (8.00) and the tee (20.00)
        "25.00": 0,
        "50.00": 1,  # the polo
        "100.00": 0,
        "250.00": 0,
        "500.00": 0,
    }
    assert body["prices"][-1]["max"] is None
    assert [row["count"] for row in body["ratings"]] == [0, 0, 0, 0]


def test_each_facet_respects_every_other_filter_but_not_its_own(api_client, catalog):
    body = api_client.get(f"{FACETS}?option=Size:S&shop=oak").json()
    # Size counts: the oak shop's products of any size (the tee), with S chosen.
    assert _facet(body, "Size") == {"S": 1, "M": 1, "L": 1}
    assert {value["value"]: value["selected"] for value in _option(body, "Size")["values"]} == {
        "S": True,
        "M": False,
        "L": False,
    }
    # Colour counts: oak's size-S products.
    assert _facet(body, "Colour") == {"Red": 1, "Blue": 1}
    # Shops: size-S products of any shop.
    assert {row["slug"]: (row["count"], row["selected"]) for row in body["shops"]} == {
        "oak": (1, True)
    }
    # Prices: oak's size-S products at any price.
    assert {row["min"]: row["count"] for row in body["prices"]}["0.00"] == 1


def test_sold_out_variants_still_count_as_on_sale(api_client, catalog):
    set_stock(catalog["mug"], 0)
    body = api_client.get(f"{FACETS}?in_stock=true").json()
    assert {row["slug"]: row["count"] for row in body["shops"]} == {"oak": 1, "elm": 1}


@pytest.mark.parametrize("path", [FACETS, f"{FACETS}?option=Size:M&option=Colour:Blue"])
def test_facets_cost_the_same_queries_for_few_and_many_products(api_client, path):
    counts = []
    for total in (2, 18):  # 2, then 20 in all
        for index in range(total):
            ProductFactory(
                shop=ShopFactory(),
                category=CategoryFactory(),
                tags=[TagFactory()],
                options=[("Size", ["S", "M"]), ("Colour", ["Blue", f"C{index}"])],
            )
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(path).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 9  # a grouped query per facet (and per chosen option)


def test_anonymous_facets_are_served_from_the_cache_until_the_catalog_changes(api_client, catalog):
    assert _facet(api_client.get(FACETS).json(), "Size")["S"] == 1
    with CaptureQueriesContext(connection) as queries:
        api_client.get(FACETS)
    assert len(queries) == 0
    ProductFactory(options=[("Size", ["S"])])
    assert _facet(api_client.get(FACETS).json(), "Size")["S"] == 2


def test_the_listing_sidebar_offers_the_option_values_with_counts(client, catalog):
    html = client.get("/products/?option=Size:M").content.decode()
    assert "<legend>Size</legend>" in html and "<legend>Colour</legend>" in html
    assert 'name="option" value="Size:M" checked' in html
    assert 'value="Size:S">' in html
    assert 'S <span class="facet-count">(1)</span>' in html
    assert "Mug" not in html.split('class="product-grid"')[1]  # M filters the mug out


def test_a_bad_option_on_the_listing_page_is_shown_and_ignored(client, catalog):
    response = client.get("/products/?option=nonsense")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Write an option as name:value" in html
    assert "Mug" in html
