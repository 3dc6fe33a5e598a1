"""The front door's whole pages (catalog.views.whole_page, issue 23): a first-time
visitor's home, product list, category and shop pages come whole from the cache with
their own CSRF token; anything of the visitor's own, or a change under the page, shows."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.views import whole_page
from shipping.services import shipping_method_create
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ShopFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ("/", "/products/", "/categories/boards/", "/shops/oak/")


@pytest.fixture
def shop():
    return ShopFactory(name="Oak", slug="oak")


@pytest.fixture
def board(shop):
    return ProductFactory(
        shop=shop, name="Walnut board", category=CategoryFactory(name="Boards", slug="boards")
    )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_first_visit_is_sent_whole_from_the_cache_with_its_own_token(board):
    for path in PAGES:
        first = Client(enforce_csrf_checks=True)
        assert first.get(path).status_code == 200  # fills the cache
        visitor = Client(enforce_csrf_checks=True)
        with CaptureQueriesContext(connection) as queries:
            response = visitor.get(path)
        assert response.status_code == 200 and len(queries) == 0, path
        html = response.content.decode()
        assert "Walnut board" in html and "csrf-" not in html
        token = csrf_of(html)
        assert token != csrf_of(first.get(path).content.decode())  # masked per visitor
        # The token is this visitor's: their form posts pass the CSRF check.
        answer = visitor.post(
            "/i18n/language/", {"language": "de", "next": path, "csrfmiddlewaretoken": token}
        )
        assert answer.status_code == 302, path


def test_a_visitor_with_a_session_gets_their_own_page(board):
    Client().get("/products/")
    visitor = Client()
    session = visitor.session  # a guest with a session (a cart, a message) of their own
    session["guest_cart_id"] = 1
    session.save()
    assert not whole_page.first_visit(visitor.get("/products/").wsgi_request)
    assert "Walnut board" in visitor.get("/products/").content.decode()


def test_a_change_under_a_whole_page_shows_on_the_next_visit(board, shop):
    owner = MembershipFactory(shop=shop, role="owner").user
    for path in PAGES:
        Client().get(path)
    services.product_update(user=owner, product=board, data={"name": "Cherry board"})
    for path in PAGES:
        html = Client().get(path).content.decode()
        assert "Cherry board" in html and "Walnut board" not in html, path
    # Where the shop ships is on its page: its own generation.
    zone = shop.shipping_zones.get()
    shipping_method_create(zone=zone, data={"name": "Pigeon post", "price": "3.00"}, by=None)
    assert "Pigeon post" in Client().get("/shops/oak/").content.decode()


def test_a_missing_page_is_never_kept(board):
    assert Client().get("/categories/nothing/").status_code == 404
    assert Client().get("/shops/nobody/").status_code == 404
    CategoryFactory(name="Nothing", slug="nothing")
    assert Client().get("/categories/nothing/").status_code == 200


def test_each_language_has_its_own_page(board):
    english = Client().get("/products/").content.decode()
    german = Client(HTTP_ACCEPT_LANGUAGE="de").get("/products/").content.decode()
    assert 'lang="de"' in german and 'lang="en"' in english


def test_a_first_visits_product_page_and_its_recommendations_come_in_one_round_trip(
    board, round_trips
):
    """The whole product page, the generations it stands on and its late part (the
    recommendations, cached apart: catalog.late_parts) are read in one MGET."""
    path = f"/products/{board.slug}/"
    Client().get(path)  # the page built and stored
    Client().get(path)  # sent from the cache: this process now knows its product
    round_trips.clear()
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path)
    assert response.status_code == 200 and len(queries) == 0
    assert "late-part" not in response.content.decode()
    assert round_trips == ["MGET"]
