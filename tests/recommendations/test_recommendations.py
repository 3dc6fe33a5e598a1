"""Recommendations (issue 21): "frequently bought together" counted by the beat task
from hand-made orders with known co-occurrences, incrementally; "similar products";
recently viewed; what is left out (switched off, sold out, in the cart); the product
page, the cart page and the API; the cache (no query when warm)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cart.services import cart_add_item, cart_get_for_user
from catalog import viewed
from catalog.models import RecentlyViewed
from catalog.services.products import product_update
from orders.services import order_cancel, order_mark_paid, order_place
from recommendations import selectors
from recommendations.models import ProductPair, Progress
from recommendations.services import bought_together_rebuild, pairs_in
from recommendations.tasks import trim_recently_viewed, update_bought_together
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ShopFactory,
    TagFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settle_at_once(settings):
    settings.RECOMMENDATIONS_SETTLE_SECONDS = 0
    settings.RECOMMENDATIONS_MIN_SUPPORT = 2


@pytest.fixture
def catalog():
    shop = ShopFactory(name="Lumen Lamps")
    lamps = CategoryFactory(name="Lamps", slug="lamps")
    return {
        name: ProductFactory(shop=shop, name=name.title(), category=lamps, stock_quantity=50)
        for name in ["lamp", "bulb", "shade", "cable", "vase"]
    }


def buy(*products, paid=True, buyer=None):
    buyer = buyer or verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    for product in products:
        cart_add_item(cart=cart, product=product, quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    if paid:
        order_mark_paid(order=order)
    return order


def partners(product) -> dict[str, int]:
    return {
        pair.other.name.lower(): pair.orders
        for pair in ProductPair.objects.filter(product=product).select_related("other")
    }


def test_pairs_are_counted_once_per_order_in_both_directions():
    counts = pairs_in([{1, 2, 3}, {1, 2}, {2, 4}, {5}])
    assert counts[(1, 2)] == counts[(2, 1)] == 2
    assert counts[(1, 3)] == counts[(3, 2)] == 1
    assert counts[(2, 4)] == 1 and (5, 5) not in counts and len(counts) == 8


def test_the_task_counts_known_co_occurrences_incrementally(catalog):
    lamp, bulb, shade, cable, vase = (
        catalog[n] for n in ["lamp", "bulb", "shade", "cable", "vase"]
    )
    for _ in range(3):
        buy(lamp, bulb)
    buy(lamp, bulb, shade)
    buy(bulb, shade)
    buy(lamp, cable)
    buy(vase)
    buy(lamp, vase, paid=False)  # never paid: says nothing
    cancelled = buy(cable, vase)
    order_cancel(order=cancelled, by=None)  # given back: says nothing either

    assert update_bought_together.delay().get() == 7
    assert partners(lamp) == {"bulb": 4, "shade": 1, "cable": 1}
    assert partners(bulb) == {"lamp": 4, "shade": 2}
    assert partners(vase) == {}

    # With a minimum support of 2, only the pairs of two orders or more are shown.
    assert selectors.bought_together_ids([lamp.pk]) == [bulb.pk]
    assert selectors.bought_together_ids([bulb.pk]) == [lamp.pk, shade.pk]
    assert selectors.bought_together_ids([lamp.pk, shade.pk]) == [bulb.pk]

    # The next run reads only what was paid since: nothing counted twice.
    assert update_bought_together.delay().get() == 0
    buy(lamp, shade)
    assert update_bought_together.delay().get() == 1
    assert partners(lamp)["shade"] == 2 and partners(lamp)["bulb"] == 4
    assert Progress.objects.get().orders_counted == 8
    assert selectors.bought_together_ids([lamp.pk]) == [bulb.pk, shade.pk]

    # A rebuild counts everything again from nothing, to the same figures.
    assert bought_together_rebuild(settle_seconds=0) == 8
    assert partners(lamp) == {"bulb": 4, "shade": 2, "cable": 1}


def test_orders_paid_in_the_last_seconds_wait_for_the_next_run(catalog, settings):
    settings.RECOMMENDATIONS_SETTLE_SECONDS = 3600
    buy(catalog["lamp"], catalog["bulb"])
    assert update_bought_together() == 0
    settings.RECOMMENDATIONS_SETTLE_SECONDS = 0
    assert update_bought_together() == 1


def test_similar_products_share_the_category_tags_and_name():
    shop = ShopFactory()
    lamps, kitchen = CategoryFactory(name="Lamps"), CategoryFactory(name="Kitchen")
    brass = TagFactory(name="brass")
    lamp = ProductFactory(shop=shop, name="Brass Desk Lamp", category=lamps)
    lamp.tags.add(brass)
    twin = ProductFactory(shop=shop, name="Brass Floor Lamp", category=lamps)
    twin.tags.add(brass)
    cousin = ProductFactory(shop=shop, name="Paper Lantern", category=lamps)
    tagged = ProductFactory(shop=shop, name="Brass Kettle", category=kitchen)
    tagged.tags.add(brass)
    ProductFactory(shop=shop, name="Steel Pan", category=kitchen)

    ranked = selectors.similar_ids(lamp)
    assert ranked[:2] == [twin.pk, cousin.pk] and set(ranked) == {twin.pk, cousin.pk, tagged.pk}


def test_switched_off_sold_out_and_in_cart_products_are_left_out(catalog):
    lamp, bulb, shade, cable = (catalog[n] for n in ["lamp", "bulb", "shade", "cable"])
    for _ in range(2):
        buy(lamp, bulb, shade, cable)
    update_bought_together()
    assert [p.pk for p in selectors.for_product(lamp)["bought_together"]] == sorted(
        [bulb.pk, shade.pk, cable.pk]
    )

    product_update(user=None, product=shade, data={"stock_quantity": 0})
    product_update(user=None, product=cable, data={"is_active": False})
    found = selectors.for_product(lamp)  # the catalog changed: no stale answer
    assert [p.pk for p in found["bought_together"]] == [bulb.pk]
    assert shade.pk not in [p.pk for p in found["similar"]]
    assert selectors.without(found["bought_together"], {bulb.pk}) == []


def test_the_product_page_shows_them_and_leaves_out_the_cart(catalog):
    lamp, bulb = catalog["lamp"], catalog["bulb"]
    for _ in range(2):
        buy(lamp, bulb)
    update_bought_together()
    buyer = verify_email(UserFactory())
    client = Client()
    client.force_login(buyer)

    page = client.get(f"/products/{lamp.slug}/").content.decode()
    together = page.split("Frequently bought together")[1].split("</section>")[0]
    assert "Bulb" in together and "Shade" not in together
    similar = page.split("Similar products")[1].split("</section>")[0]
    assert "Shade" in similar and "Bulb" not in similar  # shown once, where it is strongest

    cart_add_item(cart=cart_get_for_user(user=buyer), product=bulb, quantity=1)
    page = client.get(f"/products/{lamp.slug}/").content.decode()
    assert "Frequently bought together" not in page
    assert "Shade" in page.split("Similar products")[1]


def test_recently_viewed_is_kept_in_a_cookie_and_for_users_in_rows(catalog):
    lamp, bulb, shade = catalog["lamp"], catalog["bulb"], catalog["shade"]
    guest = Client()
    for product in (lamp, bulb, lamp):
        guest.get(f"/products/{product.slug}/")
    assert "recently_viewed" in guest.cookies
    cart_add_item(cart=_guest_cart(guest), product=shade, quantity=1)
    page = guest.get("/cart/").content.decode()
    recent = page.split("Recently viewed")[1].split("</section>")[0]
    assert recent.index("Lamp") < recent.index("Bulb") and "Shade" not in recent

    # A forged cookie is no list at all.
    forged = Client()
    forged.cookies["recently_viewed"] = "1.2.3"
    assert "Recently viewed" not in forged.get("/cart/").content.decode()

    buyer = verify_email(UserFactory())
    member = Client()
    member.force_login(buyer)
    member.get(f"/products/{lamp.slug}/")
    with CaptureQueriesContext(connection) as reload:
        member.get(f"/products/{lamp.slug}/")  # first already: nothing written
    assert not [q for q in reload.captured_queries if "catalog_recentlyviewed" in q["sql"]]
    member.get(f"/products/{bulb.slug}/")
    assert viewed.viewed_ids(user=buyer) == [bulb.pk, lamp.pk]


def _guest_cart(client):
    """The guest cart of a test client's session (made by adding through the page)."""
    from cart.models import Cart
    from cart.services import GUEST_CART_SESSION_KEY

    response = client.post("/cart/add/", {"product_id": ProductFactory(stock_quantity=5).pk})
    assert response.status_code in (200, 302)
    return Cart.objects.get(pk=client.session[GUEST_CART_SESSION_KEY])


def test_old_recently_viewed_rows_are_trimmed(catalog):
    buyer = verify_email(UserFactory())
    products = [ProductFactory() for _ in range(viewed.KEEP + 3)]
    for product in products:
        viewed.viewed_store(user=buyer, product_id=product.pk)
    assert trim_recently_viewed() == 3
    assert RecentlyViewed.objects.filter(user=buyer).count() == viewed.KEEP
    assert viewed.viewed_ids(user=buyer)[0] == products[-1].pk


def test_the_api_answers_with_cards_and_leaves_out_the_callers_cart(catalog, api_client):
    lamp, bulb = catalog["lamp"], catalog["bulb"]
    for _ in range(2):
        buy(lamp, bulb)
    update_bought_together()
    answer = api_client.get(f"/api/v1/products/{lamp.pk}/recommendations/")
    assert answer.status_code == 200
    body = answer.json()
    assert [card["name"] for card in body["bought_together"]] == ["Bulb"]
    assert body["bought_together"][0]["price"] == "19.99" and body["recently_viewed"] == []
    assert {"Shade", "Cable", "Vase"} <= {card["name"] for card in body["similar"]}

    token = api_client.post("/api/v1/cart/token/").json()["cart_token"]
    api_client.post(
        "/api/v1/cart/add/", {"product_id": bulb.pk, "quantity": 1}, HTTP_X_CART_TOKEN=token
    )
    guest = api_client.get(
        f"/api/v1/products/{lamp.pk}/recommendations/", HTTP_X_CART_TOKEN=token
    ).json()
    assert guest["bought_together"] == []

    missing = api_client.get("/api/v1/products/999999/recommendations/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_api_shows_a_signed_in_callers_recently_viewed(catalog):
    from tests.conftest import bearer_client

    buyer = verify_email(UserFactory())
    viewed.viewed_store(user=buyer, product_id=catalog["vase"].pk)
    body = (
        bearer_client(buyer).get(f"/api/v1/products/{catalog['lamp'].pk}/recommendations/").json()
    )
    assert [card["name"] for card in body["recently_viewed"]] == ["Vase"]


def test_the_product_page_reads_recommendations_in_fixed_queries_and_none_when_warm(catalog):
    lamp, few = catalog["lamp"], catalog["vase"]
    shop = lamp.shop
    many = [ProductFactory(shop=shop, category=lamp.category, stock_quantity=5) for _ in range(6)]
    for _ in range(2):
        buy(lamp, *many)
        buy(few, catalog["bulb"])
    update_bought_together()
    buyer = verify_email(UserFactory())
    client = Client()
    client.force_login(buyer)

    def cost(product) -> tuple[int, int]:
        """Queries of the recommendations of a product page: cold, then warm."""
        with CaptureQueriesContext(connection) as cold:
            found = selectors.for_product(product)
        assert found["bought_together"]
        with CaptureQueriesContext(connection) as warm:
            selectors.for_product(product)
        return len(cold.captured_queries), len(warm.captured_queries)

    # However many are recommended (1 or 6, with their images, tags and swatches), the
    # same number of queries when cold; none when warm.
    few_cost, many_cost = cost(few), cost(lamp)
    assert few_cost == many_cost and few_cost[1] == 0
    # The page itself: a warm page makes no query of the recommendations.
    client.get(f"/products/{lamp.slug}/")
    with CaptureQueriesContext(connection) as page:
        html = client.get(f"/products/{lamp.slug}/").content.decode()
    assert "Frequently bought together" in html
    assert not [q for q in page.captured_queries if "recommendations_" in q["sql"]]


def test_a_long_backlog_is_counted_batch_by_batch_to_the_same_figures(catalog, monkeypatch):
    from recommendations import services

    lamp, bulb, shade = catalog["lamp"], catalog["bulb"], catalog["shade"]
    for products in [(lamp, bulb), (lamp, bulb), (bulb, shade), (lamp, shade), (lamp, bulb)]:
        buy(*products)
    monkeypatch.setattr(services, "BATCH", 2)
    assert update_bought_together() == 5
    assert partners(lamp) == {"bulb": 3, "shade": 1} and partners(shade) == {"bulb": 1, "lamp": 1}
    progress = Progress.objects.get()
    assert progress.orders_counted == 5 and progress.last_order_id is not None
    assert update_bought_together() == 0


def test_a_cookie_of_someone_else_lists_nothing(catalog):
    buyer = verify_email(UserFactory())
    client = Client()
    client.force_login(buyer)
    client.get(f"/products/{catalog['lamp'].slug}/")
    assert viewed.viewed_ids(user=buyer) == [catalog["lamp"].pk]
    client.post("/accounts/logout/")
    # The next person at this computer, a guest, does not see what the buyer viewed.
    cart_add_item(cart=_guest_cart(client), product=catalog["vase"], quantity=1)
    assert "Recently viewed" not in client.get("/cart/").content.decode()


def test_the_cached_whole_page_follows_the_recommended_products(catalog):
    from recommendations.models import ProductPair

    lamp, bulb = catalog["lamp"], catalog["bulb"]
    elsewhere = ProductFactory(name="Brass Socket", stock_quantity=5)  # another shop's
    ProductPair.objects.bulk_create(
        [
            ProductPair(product=lamp, other=elsewhere, orders=5),
            ProductPair(product=lamp, other=bulb, orders=3),
        ]
    )
    visitor = Client()  # first-time visitors: the whole page comes from the cache
    first = visitor.get(f"/products/{lamp.slug}/").content.decode()
    together = first.split("Frequently bought together")[1].split("</section>")[0]
    assert together.index("Brass Socket") < together.index("Bulb")
    assert "late-part" not in first

    product_update(user=None, product=elsewhere, data={"stock_quantity": 0})
    with CaptureQueriesContext(connection) as queries:
        again = Client().get(f"/products/{lamp.slug}/").content.decode()
    assert "Brass Socket" not in again.split("Frequently bought together")[1].split("</section>")[0]
    # The lamp's own page was still cached: only the recommendations were read again.
    assert any("recommendations_productpair" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as warm:
        Client().get(f"/products/{lamp.slug}/")
    assert len(warm.captured_queries) == 0
