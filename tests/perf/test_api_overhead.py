"""What a cached anonymous API answer costs around the cache read (issue 10): the Redis
round trips of a request (the rate limit's counter and the cached answer, no more), the
answer sent as the rendered bytes stored (core.rendering), byte for byte what DRF
renders, and the browsable API and other formats still served from the same cache.

The Redis rows need the Redis cache of the test settings (REDIS_URL; docs/architecture.md,
"Testing")."""

import json

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category
from core.cache import RedisCache
from tests.conftest import bearer_client
from tests.factories import CategoryFactory, MembershipFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    category = CategoryFactory(name="Audio", slug="audio")
    CategoryFactory(name="Headphones", slug="headphones", parent=category)
    products = ProductFactory.create_batch(3, category=category, name="Studio headphones")
    return {"category": category, "product": products[0]}


def warm_paths(catalog) -> list[str]:
    return [
        "/api/v1/products/?page_size=24",
        f"/api/v1/products/{catalog['product'].pk}/",
        "/api/v1/products/search/?q=headphnes",
        "/api/v1/products/categories/",
    ]


def test_the_cache_is_djangos_redis_backend_with_one_client_per_process():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    client = backend._cache  # the RedisCacheClient of core.cache
    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client() is client.get_client("any key")
    backend.set("overhead:probe", {"a": 1})
    assert backend.get("overhead:probe") == {"a": 1}


def test_the_window_counter_counts_and_keeps_a_lifetime():
    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    assert backend.window_hit("overhead:window", 60) == (1, 60, {})
    hits, left, _found = backend.window_hit("overhead:window", 60)
    assert hits == 2 and 0 < left <= 60
    # A counter that lost its lifetime (written by hand, say) gets one, never lives on.
    key = backend.make_and_validate_key("overhead:lost")
    client.set(key, 5)
    assert backend.window_hit("overhead:lost", 30) == (6, 30, {})
    assert 0 < client.ttl(key) <= 30


def test_the_window_counter_reads_other_keys_in_the_same_round_trip(round_trips):
    """What the cache stored under the keys read (as `get_many` answers them: by the
    names given, missing ones left out), beside the counter."""
    backend = caches["default"]
    backend.set("overhead:answer", (b"token", b'{"results":[]}'))
    backend.set("overhead:count", 7)
    round_trips.clear()
    hits, left, found = backend.window_hit(
        "overhead:reading", 60, ["overhead:answer", "overhead:missing", "overhead:count"]
    )
    assert (hits, left) == (1, 60)
    assert found == {"overhead:answer": (b"token", b'{"results":[]}'), "overhead:count": 7}
    assert found == backend.get_many(["overhead:answer", "overhead:missing", "overhead:count"])
    assert round_trips[0] == "PIPELINE" and len(round_trips) == 2  # the get_many beside it


def test_the_window_counter_survives_redis_losing_its_scripts(round_trips):
    """After a Redis restart (SCRIPT FLUSH here) the script is loaded again and the hit
    counted once."""
    backend = caches["default"]
    backend.set("overhead:answer", b"{}")
    assert backend.window_hit("overhead:flush", 60, ["overhead:answer"])[0] == 1
    backend._cache.get_client(write=True).script_flush()
    hits, _left, found = backend.window_hit("overhead:flush", 60, ["overhead:answer"])
    assert (hits, found) == (2, {"overhead:answer": b"{}"})
    assert backend.window_hit("overhead:flush", 60)[0] == 3


@pytest.mark.parametrize(
    ("index", "trips"),
    [
        # A list, a search: the answer and its generation come with the rate limit's
        # counter (a Lua script), read ahead in one pipeline (core.security.throttles).
        (0, ["PIPELINE"]),
        (2, ["PIPELINE"]),
        # Others: one more for the answer and the generations it was stored at (MGET).
        (1, ["EVALSHA", "MGET"]),
        (3, ["EVALSHA", "MGET"]),
    ],
)
def test_a_warm_anonymous_api_answer_costs_at_most_two_redis_round_trips_and_no_query(
    index, trips, catalog, api_client, round_trips
):
    path = warm_paths(catalog)[index]
    assert api_client.get(path).status_code == 200
    round_trips.clear()
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(path)
    assert response.status_code == 200
    assert len(queries) == 0, [query["sql"] for query in queries]
    assert round_trips == trips


def test_a_list_read_ahead_follows_a_catalog_change(catalog, api_client, round_trips):
    """The answer read ahead is the cached one only while the catalog generation stands:
    a product renamed after it was cached is in the next answer."""
    path = warm_paths(catalog)[0]
    assert catalog["product"].name in api_client.get(path).content.decode()
    from catalog import services

    staff = UserFactory(is_staff=True, is_superuser=True)
    services.product_update(user=staff, product=catalog["product"], data={"name": "Renamed"})
    answer = api_client.get(path).json()
    assert "Renamed" in [product["name"] for product in answer["results"]]
    round_trips.clear()
    assert api_client.get(path).json() == answer
    assert round_trips == ["PIPELINE"]


@pytest.mark.parametrize("index", range(4))
def test_a_cached_answer_is_what_drf_renders(index, catalog, api_client):
    """The bytes sent from the cache are those of a freshly rendered answer: the same
    body (compact JSON, non-ASCII kept), Content-Type, Vary and Allow headers."""
    path = warm_paths(catalog)[index]
    fresh = api_client.get(path)
    cached = api_client.get(path)
    assert fresh.status_code == cached.status_code == 200
    assert cached.content == fresh.content
    for header in ("Content-Type", "Vary", "Allow"):
        assert cached[header] == fresh[header], header
    assert cached["Content-Type"] == "application/json"
    assert b": " not in cached.content[:40]  # compact separators, as DRF renders


def test_other_formats_are_rendered_from_the_same_cache(catalog, api_client):
    path = f"/api/v1/products/{catalog['product'].pk}/"
    data = api_client.get(path).json()
    indented = api_client.get(path, HTTP_ACCEPT="application/json; indent=4")
    assert indented["Content-Type"] == "application/json"
    assert indented.content.decode().startswith("{\n    ")
    assert json.loads(indented.content) == data
    page = api_client.get(path, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert catalog["product"].name in page.content.decode()


def test_cached_answers_name_the_host_they_were_asked_on(catalog, api_client):
    """Absolute URLs (pagination links) come from the address asked for: one cached answer
    per host, never another host's."""
    ProductFactory.create_batch(2)
    path = "/api/v1/products/?page_size=2"
    first = api_client.get(path, HTTP_HOST="localhost").json()
    other = api_client.get(path, HTTP_HOST="127.0.0.1").json()
    assert first["next"].startswith("http://localhost/")
    assert other["next"].startswith("http://127.0.0.1/")


def test_the_rendered_category_tree_follows_a_saved_category(catalog, api_client):
    """The tree is stored rendered while the taxonomy generation stands: a category saved
    anywhere (here the model, as the admin does) is in the next answer."""
    assert [node["name"] for node in api_client.get("/api/v1/products/categories/").json()] == [
        "Audio"
    ]
    Category.objects.create(name="Books", slug="books", position=5)
    names = [node["name"] for node in api_client.get("/api/v1/products/categories/").json()]
    assert names == ["Audio", "Books"]
    category = catalog["category"]
    category.name = "Sound"
    category.save()
    tree = api_client.get("/api/v1/products/categories/").json()
    assert tree[0]["name"] == "Sound" and tree[0]["children"][0]["slug"] == "headphones"


def test_the_rendered_detail_follows_a_price_change(catalog, api_client):
    product = catalog["product"]
    path = f"/api/v1/products/{product.pk}/"
    product.price = "10.00"
    product.save()
    assert api_client.get(path).json()["price"] == "10.00"
    product.price = "12.34"
    product.save()
    assert api_client.get(path).json()["price"] == "12.34"


def test_signed_in_callers_are_not_served_the_anonymous_cache(catalog, api_client):
    """A signed-in caller's list is read anew (it may hold their shops' inactive
    products): their answer is never stored for anonymous callers, nor theirs served."""
    owner = UserFactory()
    client = bearer_client(owner)
    assert api_client.get("/api/v1/products/").json()["count"] == 3
    hidden = ProductFactory(is_active=False)
    MembershipFactory(user=owner, shop=hidden.shop)
    assert client.get("/api/v1/products/").json()["count"] == 4
    assert api_client.get("/api/v1/products/").json()["count"] == 3


# --- Signed in (issue 23) ---------------------------------------------------------------


def test_a_customers_warm_history_and_cart_cost_two_round_trips_and_no_query(round_trips):
    """A customer's order list, an order's detail and their cart, once cached: the token's user with
    the logout denial (MGET), then the rate limit's counter with the cached answer and
    its generation read ahead (one pipeline). No third round trip for the answer."""
    from tests.orders.test_orders_cache import place, shopper

    _user, client = shopper()
    placed = place(client, ProductFactory(stock_quantity=5))
    client.post("/api/v1/cart/add/", {"product_id": ProductFactory().pk}, format="json")
    for path in ("/api/v1/orders/", f"/api/v1/orders/{placed['id']}/", "/api/v1/cart/"):
        first = client.get(path).json()
        round_trips.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.json() == first
        assert len(queries) == 0, [query["sql"] for query in queries]
        assert round_trips == ["MGET", "PIPELINE"], path


def test_a_read_ahead_history_follows_a_change_of_the_customers_orders(round_trips):
    """The answer read ahead is served only while the buyer's orders generation stands:
    an order cancelled after the list was cached is cancelled in the next list, which
    still read its keys ahead (the stale answer came with the rate limit's round trip,
    and was not used)."""
    from orders.models import Order
    from orders.services import order_cancel
    from tests.orders.test_orders_cache import place, shopper

    user, client = shopper()
    placed = place(client, ProductFactory(stock_quantity=5))
    for path in ("/api/v1/orders/", f"/api/v1/orders/{placed['id']}/"):
        assert "pending" in client.get(path).content.decode()
        client.get(path)  # cached, read ahead
    order_cancel(order=Order.objects.get(pk=placed["id"]), by=user)
    round_trips.clear()
    assert client.get("/api/v1/orders/").json()["results"][0]["status"] == "cancelled"
    assert round_trips[:2] == ["MGET", "PIPELINE"]  # read ahead, then rebuilt and stored
    round_trips.clear()
    assert client.get(f"/api/v1/orders/{placed['id']}/").json()["status"] == "cancelled"
    assert round_trips[:2] == ["MGET", "PIPELINE"] and len(round_trips) > 2


def test_what_is_cached_as_a_customers_own_history_is_built_as_their_own(monkeypatch):
    """The rate limit's read ahead decides that a caller reads their own orders; the
    answer stored under their key is then built from their own orders alone, even if a
    membership was committed in between (here: the decision is made for a member)."""
    from orders import selectors
    from tests.orders.test_orders_cache import place, shopper

    seller, seller_client = shopper()
    _buyer, buyer_client = shopper()
    product = ProductFactory(stock_quantity=5)
    MembershipFactory(user=seller, shop=product.shop)
    place(buyer_client, product)  # an order with a line of the seller's shop
    own = place(seller_client, ProductFactory(stock_quantity=5))
    assert seller_client.get("/api/v1/orders/").json()["count"] == 2  # as a member

    monkeypatch.setattr(selectors, "sees_own_orders_only", lambda *, user: True)
    answer = seller_client.get("/api/v1/orders/?page_size=5").json()
    assert [order["id"] for order in answer["results"]] == [own["id"]]
    others = seller_client.get(f"/api/v1/orders/{answer['results'][0]['id']}/")
    assert others.status_code == 200


def test_a_token_is_verified_once_and_its_expiry_at_every_use(monkeypatch):
    """The signature and claims of a token seen before are not checked again by PyJWT
    (core.security.jwt keeps the verified payload per process); its expiry is, and a
    token past it is refused as any expired token is."""
    import jwt as pyjwt

    from core.security import jwt as shop_jwt

    calls = []
    decode = pyjwt.decode
    monkeypatch.setattr(pyjwt, "decode", lambda *a, **k: calls.append(1) or decode(*a, **k))
    user = UserFactory()
    client = bearer_client(user)
    for _request in range(3):
        assert client.get("/api/v1/auth/me/").status_code == 200
    assert len(calls) == 1

    later = shop_jwt.time.time() + 24 * 3600
    monkeypatch.setattr(shop_jwt, "time", type("Clock", (), {"time": staticmethod(lambda: later)}))
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"
    assert len(calls) == 1  # refused from the payload kept, not by verifying again


def test_a_refused_token_is_not_kept():
    from core.security import jwt as shop_jwt

    kept = shop_jwt._verified_payload.cache_info().currsize
    client = bearer_client(UserFactory())
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-4]}AAAA")  # signature broken
    for _request in range(2):
        response = client.get("/api/v1/auth/me/")
        assert response.status_code == 401 and response.json()["code"] == "token_invalid"
    assert shop_jwt._verified_payload.cache_info().currsize == kept
