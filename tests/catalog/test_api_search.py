"""products/search/: full-text search ranked by relevance, with the list's filters."""

import pytest

from catalog.models import ProductImage
from tests.factories import CategoryFactory, ProductFactory, TagFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_search_without_words_is_a_validation_error(api_client, params):
    for url in ("/api/v1/products/search/", "/api/v1/products/search"):
        response = api_client.get(url, params)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert list(body["fields"]) == ["q"]


def test_search_finds_words_and_takes_the_list_filters(api_client, shop_a, shop_b):
    ProductFactory(shop=shop_a, name="Desk Lamp", price="30.00")
    ProductFactory(shop=shop_b, name="Floor Lamp", price="90.00", stock_quantity=0)
    ProductFactory(shop=shop_a, name="Teapot", price="25.00")
    response = api_client.get("/api/v1/products/search/", {"q": "lamp"})
    assert set(names(response)) == {"Desk Lamp", "Floor Lamp"}
    assert set(response.json()["results"][0]) >= {"id", "price", "shop", "rating"}

    search = "/api/v1/products/search/"
    assert names(api_client.get(search, {"q": "lamp", "shop": "alpha-audio"})) == ["Desk Lamp"]
    assert names(api_client.get(search, {"q": "lamp", "in_stock": "false"})) == ["Floor Lamp"]
    assert names(api_client.get(search, {"q": "lamp", "min_price": "90"})) == ["Floor Lamp"]
    assert names(api_client.get(search, {"q": "lamp", "ordering": "-price"})) == [
        "Floor Lamp",
        "Desk Lamp",
    ]
    assert names(api_client.get(search, {"q": "lamp", "ordering": "price"})) == [
        "Desk Lamp",
        "Floor Lamp",
    ]
    response = api_client.get(search, {"q": "lamp", "ordering": "bogus"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["ordering"]


def test_search_looks_in_tags_and_categories(api_client):
    ProductFactory(name="Thing One", tags=[TagFactory(name="vintage")])
    ProductFactory(name="Thing Two", category=CategoryFactory(name="Furniture"))
    assert names(api_client.get("/api/v1/products/search/", {"q": "vintage"})) == ["Thing One"]
    assert names(api_client.get("/api/v1/products/search/", {"q": "furniture"})) == ["Thing Two"]


def test_search_hides_what_the_caller_may_not_see(client_of, shop_a, clerk_a, customer):
    ProductFactory(shop=shop_a, name="Hidden Lamp", is_active=False)
    ProductFactory(shop=shop_a, name="Open Lamp")
    search = "/api/v1/products/search/"
    assert names(client_of(customer).get(search, {"q": "lamp"})) == ["Open Lamp"]
    assert set(names(client_of(clerk_a).get(search, {"q": "lamp"}))) == {
        "Hidden Lamp",
        "Open Lamp",
    }


@pytest.mark.postgresql
def test_a_name_match_ranks_above_a_description_match(api_client):
    ProductFactory(name="Cable Organiser", description="Keeps the headphones cable tidy.")
    ProductFactory(name="Studio Headphones", description="Closed back.")
    ProductFactory(name="Teapot", description="Brews tea.")
    response = api_client.get("/api/v1/products/search/", {"q": "headphones"})
    assert names(response) == ["Studio Headphones", "Cable Organiser"]


@pytest.mark.postgresql
def test_search_tolerates_a_small_typo(api_client):
    ProductFactory(name="Wireless Headphones")
    ProductFactory(name="Garden Hose")
    assert names(api_client.get("/api/v1/products/search/", {"q": "hedphones"})) == [
        "Wireless Headphones"
    ]


@pytest.mark.postgresql
def test_the_list_q_filter_ranks_too(api_client):
    ProductFactory(name="Cable Organiser", description="Keeps the headphones cable tidy.")
    ProductFactory(name="Studio Headphones")
    assert names(api_client.get("/api/v1/products/", {"q": "headphones"})) == [
        "Studio Headphones",
        "Cable Organiser",
    ]


@pytest.mark.postgresql
@pytest.mark.parametrize("page_size", [1, 50])
def test_search_costs_the_same_queries_whatever_the_page_size(
    api_client, page_size, django_assert_max_num_queries
):
    tags = TagFactory.create_batch(2)
    products = ProductFactory.create_batch(
        50, name="Lamp", tags=tags, category=CategoryFactory(name="Lighting")
    )
    ProductImage.objects.bulk_create(
        ProductImage(product=product, image=f"products/{product.pk}/a.png", width=1, height=1)
        for product in products
    )
    # the count, the page, tags, images, the running sales
    with django_assert_max_num_queries(5):
        body = api_client.get(
            "/api/v1/products/search/", {"q": "lamp", "page_size": page_size}
        ).json()
    assert body["count"] == 50
    assert len(body["results"]) == page_size
