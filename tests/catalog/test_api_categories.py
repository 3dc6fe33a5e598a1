"""categories/ (flat list, staff manage), products/categories/ (the tree) and tags/."""

import pytest

from catalog.models import Category
from tests.factories import CategoryFactory, ProductFactory, TagFactory

pytestmark = pytest.mark.django_db

CATEGORY_FIELDS = {
    "id",
    "name",
    "slug",
    "parent",
    "children",
    "description",
    "position",
    "created_at",
    "updated_at",
}


@pytest.fixture
def tree(db):
    """Electronics > (Audio > Headphones, Cameras); Books."""
    electronics = CategoryFactory(name="Electronics", slug="electronics", position=1)
    audio = CategoryFactory(name="Audio", slug="audio", parent=electronics)
    headphones = CategoryFactory(name="Headphones", slug="headphones", parent=audio)
    cameras = CategoryFactory(name="Cameras", slug="cameras", parent=electronics)
    books = CategoryFactory(name="Books", slug="books", position=2)
    return {
        "electronics": electronics,
        "audio": audio,
        "headphones": headphones,
        "cameras": cameras,
        "books": books,
    }


def test_the_category_list_is_flat_and_paginated_with_parent_and_children_ids(api_client, tree):
    response = api_client.get("/api/v1/categories/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    rows = {row["slug"]: row for row in body["results"]}
    assert set(rows["audio"]) == CATEGORY_FIELDS
    assert rows["electronics"]["parent"] is None
    assert rows["electronics"]["children"] == [tree["audio"].id, tree["cameras"].id]
    assert rows["audio"]["parent"] == tree["electronics"].id
    assert rows["audio"]["children"] == [tree["headphones"].id]
    assert rows["headphones"]["children"] == []
    # Ordered by position, then name.
    assert [row["slug"] for row in body["results"]] == [
        "audio",
        "cameras",
        "headphones",
        "electronics",
        "books",
    ]
    assert api_client.get("/api/v1/categories", {"page_size": 2}).json()["next"]


def test_retrieve_a_category(api_client, tree):
    response = api_client.get(f"/api/v1/categories/{tree['audio'].id}")
    assert response.status_code == 200
    assert response.json()["name"] == "Audio"
    assert response.json()["children"] == [tree["headphones"].id]
    assert api_client.get("/api/v1/categories/999999/").status_code == 404


def test_the_tree_nests_children_under_their_roots_unpaginated(api_client, tree):
    for url in ("/api/v1/products/categories/", "/api/v1/products/categories"):
        response = api_client.get(url)
        assert response.status_code == 200
        roots = response.json()
        assert isinstance(roots, list)
        assert [root["slug"] for root in roots] == ["electronics", "books"]
        electronics = roots[0]
        assert set(electronics) == {"id", "name", "slug", "parent", "position", "children"}
        assert [child["slug"] for child in electronics["children"]] == ["audio", "cameras"]
        audio = electronics["children"][0]
        assert audio["parent"] == tree["electronics"].id
        assert audio["children"][0]["slug"] == "headphones"
        assert audio["children"][0]["children"] == []


def test_the_tree_follows_changes_made_through_the_api(
    api_client, staff_client, tree, django_capture_on_commit_callbacks
):
    assert len(api_client.get("/api/v1/products/categories/").json()) == 2  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/api/v1/categories/",
            {"name": "Speakers", "parent": tree["audio"].id},
            format="json",
        )
    assert response.status_code == 201
    roots = api_client.get("/api/v1/products/categories/").json()
    audio = roots[0]["children"][0]
    assert [child["slug"] for child in audio["children"]] == ["headphones", "speakers"]


def test_staff_manage_categories(staff_client, tree):
    created = staff_client.post(
        "/api/v1/categories",
        {"name": "Turntables", "parent": tree["audio"].id, "description": "Vinyl"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == CATEGORY_FIELDS
    assert (body["slug"], body["parent"], body["children"]) == (
        "turntables",
        tree["audio"].id,
        [],
    )

    url = f"/api/v1/categories/{body['id']}/"
    patched = staff_client.patch(url, {"parent": None, "position": 7}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["parent"], patched.json()["position"]) == (None, 7)
    put = staff_client.put(url, {"name": "Record players", "slug": "record-players"}, format="json")
    assert put.status_code == 200
    assert (put.json()["name"], put.json()["slug"]) == ("Record players", "record-players")

    parent = staff_client.get(f"/api/v1/categories/{tree['audio'].id}/").json()
    assert body["id"] not in parent["children"]

    assert staff_client.delete(url).status_code == 204
    assert not Category.objects.filter(pk=body["id"]).exists()


def test_deleting_a_category_leaves_its_products_uncategorised(staff_client, tree):
    product = ProductFactory(category=tree["books"])
    assert staff_client.delete(f"/api/v1/categories/{tree['books'].id}").status_code == 204
    product.refresh_from_db()
    assert product.category is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Orphan", "parent": 999999}, "parent"),
        ({"name": ""}, "name"),
        ({"name": "Dup", "slug": "books"}, "slug"),
        ({"name": "Bad slug", "slug": "not a slug"}, "slug"),
    ],
)
def test_category_validation_errors(staff_client, tree, payload, field):
    response = staff_client.post("/api/v1/categories/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["fields"]
    assert body["detail"]


def test_a_category_cannot_go_below_itself(staff_client, tree):
    response = staff_client.patch(
        f"/api/v1/categories/{tree['electronics'].id}/",
        {"parent": tree["headphones"].id},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["parent"]


def test_a_category_with_sub_categories_cannot_be_deleted(staff_client, tree):
    response = staff_client.delete(f"/api/v1/categories/{tree['audio'].id}/")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert Category.objects.filter(pk=tree["audio"].id).exists()


def test_only_staff_manage_categories(api_client, client_of, customer, owner_a, tree):
    url = f"/api/v1/categories/{tree['books'].id}/"
    for person in (customer, owner_a):
        client = client_of(person)
        for response in (
            client.post("/api/v1/categories/", {"name": "Mine"}, format="json"),
            client.patch(url, {"name": "Mine"}, format="json"),
            client.put(url, {"name": "Mine"}, format="json"),
            client.delete(url),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "permission_denied"
    response = api_client.post("/api/v1/categories/", {"name": "Mine"}, format="json")
    assert response.status_code == 401
    assert Category.objects.count() == 5
    assert Category.objects.get(pk=tree["books"].id).name == "Books"


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_category_list_costs_the_same_queries_whatever_the_page_size(
    api_client, page_size, django_assert_max_num_queries
):
    for root in CategoryFactory.create_batch(25):
        CategoryFactory.create_batch(2, parent=root)
    with django_assert_max_num_queries(3):  # the count, the page, the children
        body = api_client.get("/api/v1/categories/", {"page_size": page_size}).json()
    assert len(body["results"]) == page_size


def test_tags_are_a_paginated_list(api_client, django_assert_max_num_queries):
    TagFactory(name="wireless", slug="wireless")
    TagFactory(name="audio", slug="audio")
    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/tags")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "id": body["results"][0]["id"],
        "name": "audio",
        "slug": "audio",
    }
    assert [row["name"] for row in body["results"]] == ["audio", "wireless"]
