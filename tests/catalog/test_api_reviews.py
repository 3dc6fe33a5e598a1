"""products/{id}/reviews/ and reviews/{id}/: one review per person and product."""

import pytest

from catalog.models import Review
from catalog.services import reviews
from tests.factories import ProductFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

REVIEW_FIELDS = {
    "id",
    "product_id",
    "user",
    "rating",
    "title",
    "body",
    "verified_purchase",
    "created_at",
    "updated_at",
}


@pytest.fixture
def product(shop_a):
    return ProductFactory(shop=shop_a)


def rating_of(client, product):
    return client.get(f"/api/v1/products/{product.id}/").json()["rating"]


def test_anyone_reads_a_products_reviews(api_client, product):
    older = ReviewFactory(
        product=product, user=UserFactory(first_name="Ada", last_name="lovelace"), rating=5
    )
    newer = ReviewFactory(product=product, user=UserFactory(first_name="Grace", last_name=""))
    ReviewFactory()  # another product's
    response = api_client.get(f"/api/v1/products/{product.id}/reviews")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["id"] == newer.id  # newest first
    assert set(second) == REVIEW_FIELDS
    assert second["user"] == {"id": older.user_id, "name": "Ada L."}
    assert first["user"]["name"] == "Grace"
    assert (second["product_id"], second["rating"], second["verified_purchase"]) == (
        product.id,
        5,
        False,
    )
    assert "@" not in response.content.decode()  # never an email address


def test_a_customer_reviews_and_the_rating_follows(client_of, customer, product):
    client = client_of(customer)
    response = client.post(
        f"/api/v1/products/{product.id}/reviews/",
        {"rating": 4, "title": " Solid ", "body": "Works well."},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == REVIEW_FIELDS
    assert (body["rating"], body["title"], body["body"]) == (4, "Solid", "Works well.")
    assert body["user"] == {"id": customer.id, "name": "Ada L."}
    assert body["verified_purchase"] is False
    assert rating_of(client, product) == {"average": 4.0, "count": 1}

    client_of(UserFactory()).post(
        f"/api/v1/products/{product.id}/reviews/", {"rating": 5}, format="json"
    )
    assert rating_of(client, product) == {"average": 4.5, "count": 2}


def test_a_buyers_review_is_a_verified_purchase(client_of, customer, product, monkeypatch):
    monkeypatch.setattr(reviews, "_purchase_checkers", [lambda user, item: user == customer])
    response = client_of(customer).post(
        f"/api/v1/products/{product.id}/reviews/", {"rating": 5}, format="json"
    )
    assert response.json()["verified_purchase"] is True


def test_a_second_review_is_409(client_of, customer, product):
    client = client_of(customer)
    url = f"/api/v1/products/{product.id}/reviews/"
    assert client.post(url, {"rating": 4}, format="json").status_code == 201
    response = client.post(url, {"rating": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed"
    assert Review.objects.count() == 1


def test_the_shops_members_may_not_review(client_of, owner_a, clerk_a, product):
    for person in (owner_a, clerk_a):
        response = client_of(person).post(
            f"/api/v1/products/{product.id}/reviews/", {"rating": 5}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert not Review.objects.exists()


def test_reviewing_needs_a_sign_in(api_client, product):
    response = api_client.post(
        f"/api/v1/products/{product.id}/reviews/", {"rating": 5}, format="json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "x"}, "rating"),
        ({"rating": 3, "title": "t" * 201}, "title"),
    ],
)
def test_review_validation_errors(client_of, customer, product, payload, field):
    response = client_of(customer).post(
        f"/api/v1/products/{product.id}/reviews/", payload, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]


def test_reviews_of_a_product_one_cannot_see_are_404(client_of, customer, shop_a):
    hidden = ProductFactory(shop=shop_a, is_active=False)
    review = ReviewFactory(product=hidden)
    client = client_of(customer)
    for url in (f"/api/v1/products/{hidden.id}/reviews/", "/api/v1/products/999999/reviews/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"rating": 5}, format="json").status_code == 404
    assert client.get(f"/api/v1/reviews/{review.id}/").status_code == 404
    assert (
        client_of(review.user)
        .patch(f"/api/v1/reviews/{review.id}/", {"rating": 1}, format="json")
        .status_code
        == 404
    )


def test_the_author_edits_and_deletes_their_review(client_of, customer, product):
    client = client_of(customer)
    created = client.post(
        f"/api/v1/products/{product.id}/reviews/", {"rating": 2, "title": "Meh"}, format="json"
    ).json()
    url = f"/api/v1/reviews/{created['id']}"
    response = client.patch(url, {"rating": 5, "body": "Grew on me."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["rating"], body["title"], body["body"]) == (5, "Meh", "Grew on me.")
    assert rating_of(client, product) == {"average": 5.0, "count": 1}
    assert client.get(url).json()["rating"] == 5

    assert client.patch(url, {"rating": 9}, format="json").json()["fields"].keys() == {"rating"}

    response = client.delete(url + "/")
    assert (response.status_code, response.content) == (204, b"")
    assert rating_of(client, product) == {"average": None, "count": 0}
    assert client.delete(url).status_code == 404


@pytest.mark.parametrize(
    ("who", "patch_status", "delete_status"),
    [
        ("anonymous", 401, 401),
        ("customer", 403, 403),
        ("owner_a", 403, 403),  # the shop's owner does not moderate reviews
        ("staff_user", 200, 204),
    ],
)
def test_who_may_change_someone_elses_review(
    request, client_of, product, who, patch_status, delete_status
):
    review = ReviewFactory(product=product, rating=4)
    person = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_of(person)
    url = f"/api/v1/reviews/{review.id}/"
    response = client.patch(url, {"rating": 1}, format="json")
    assert response.status_code == patch_status
    if patch_status == 403:
        assert response.json()["code"] == "permission_denied"
    assert client.delete(url).status_code == delete_status
    assert Review.objects.filter(pk=review.pk).exists() is (delete_status != 204)


def test_unknown_reviews_are_404(client_of, customer):
    client = client_of(customer)
    assert client.patch("/api/v1/reviews/999999/", {"rating": 1}, format="json").status_code == 404
    assert client.delete("/api/v1/reviews/999999/").status_code == 404


def test_reviews_cannot_be_replaced_with_put(client_of, customer, product):
    review = ReviewFactory(product=product, user=customer)
    response = client_of(customer).put(f"/api/v1/reviews/{review.id}/", {"rating": 1})
    assert response.status_code == 405


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_review_list_costs_the_same_queries_whatever_the_page_size(
    client_of, customer, product, page_size, django_assert_max_num_queries
):
    ReviewFactory.create_batch(50, product=product)
    client = client_of(customer)
    # The caller, their shops, the product, the count, the page.
    with django_assert_max_num_queries(5):
        body = client.get(
            f"/api/v1/products/{product.id}/reviews/", {"page_size": page_size}
        ).json()
    assert body["count"] == 50
    assert len(body["results"]) == page_size
