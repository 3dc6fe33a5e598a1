"""Sales: the sale price everywhere the price shows, the best single reduction, and a
sale that starts and ends on time by itself, caches included."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from catalog.models import ProductVariant
from orders.models import OrderLine
from promotions.services import promotion_create, promotion_update
from tests.conftest import bearer_client
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db


def sale(*, starts, ends, reward="percentage", value="20", shop=None, **targets):
    return promotion_create(
        shop=shop,
        data={
            "name": "Winter sale",
            "kind": "sale",
            "reward": reward,
            "value": value,
            "starts_at": starts,
            "ends_at": ends,
            **targets,
        },
        by=None,
    )


@pytest.fixture
def clock(monkeypatch):
    """The application's clock, moved by hand (every reader calls timezone.now())."""

    class Clock:
        now = timezone.now()

        def move(self, **delta):
            self.now += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(timezone, "now", lambda: moved.now)
    return moved


def _api_product(client, product):
    listed = client.get("/api/v1/products/").json()["results"]
    return next(item for item in listed if item["id"] == product.pk)


def test_the_sale_price_shows_on_every_face_and_is_charged(client):
    now = timezone.now()
    coats = CategoryFactory(name="Coats")
    coat = ProductFactory(name="Wool coat", price="80.00", category=coats, stock_quantity=5)
    other = ProductFactory(name="Scarf", price="20.00", stock_quantity=5)
    sale(starts=now - timedelta(hours=1), ends=now + timedelta(hours=1), categories=[coats])

    listed = _api_product(client, coat)
    assert (listed["price"], listed["compare_at_price"]) == ("64.00", "80.00")
    assert _api_product(client, other)["compare_at_price"] is None
    detail = client.get(f"/api/v1/products/{coat.pk}/").json()
    assert detail["price"] == "64.00"
    assert (detail["variants"][0]["price"], detail["variants"][0]["compare_at_price"]) == (
        "64.00",
        "80.00",
    )
    variant_id = detail["variants"][0]["id"]
    assert client.get(f"/api/v1/variants/{variant_id}/").json()["price"] == "64.00"

    listing = client.get("/products/").content.decode()
    assert '<del class="price-was">$80.00</del>' in listing or "80.00</del>" in listing
    page = client.get(f"/products/{coat.slug}/").content.decode()
    assert "80.00</del>" in page and "64.00" in page

    user = verify_email(UserFactory())
    api = bearer_client(user)
    cart = api.post("/api/v1/cart/add/", {"variant_id": variant_id}, format="json").json()
    assert cart["items"][0]["unit_price"] == "64.00"
    assert cart["items"][0]["notice"] == ""  # added at the sale price
    order = api.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    ).json()
    assert order["total"] == "64.00"
    assert OrderLine.objects.get().unit_price == D("64.00")
    # The stored price is the regular one.
    assert ProductVariant.objects.get(pk=variant_id).price == D("80.00")


def test_the_best_single_reduction_wins():
    now = timezone.now()
    shoe = ProductFactory(price="20.00")
    window = {"starts": now - timedelta(hours=1), "ends": now + timedelta(hours=1)}
    sale(**window, value="10", products=[shoe])  # 18.00
    sale(**window, reward="fixed", value="5.00", shops=[shoe.shop])  # 15.00
    sale(**window, reward="fixed", value="50.00", variants=[shoe.variants.get()])  # 0.00

    from catalog.models import Product
    from catalog.selectors import product_with_variants
    from promotions.models import Promotion

    def variant_price():
        return ProductVariant.objects.select_related("product").priced().get(product=shoe).price

    # The fixed 50.00 on the variant takes it to zero (never below): the lowest wins; the
    # product with its variants shows it as its price, a card (no variants) the best
    # sale of the whole product.
    assert variant_price() == D("0.00")
    assert product_with_variants(Product.objects.filter(pk=shoe.pk)).priced().get().price == 0
    assert Product.objects.filter(pk=shoe.pk).priced().get().price == D("15.00")

    promotion_update(
        promotion=Promotion.objects.get(value=D("50.00")), data={"is_active": False}, by=None
    )
    assert variant_price() == D("15.00")  # 5.00 off beats 10%


def test_a_sale_starts_and_ends_on_time_with_the_caches_warm(client, clock):
    lamp = ProductFactory(name="Brass lamp", price="50.00")
    sale(
        starts=clock.now + timedelta(minutes=10),
        ends=clock.now + timedelta(minutes=20),
        reward="fixed",
        value="12.50",
        products=[lamp],
    )

    def faces():
        api_list = _api_product(client, lamp)["price"]
        api_detail = client.get(f"/api/v1/products/{lamp.pk}/").json()["price"]
        listing = client.get("/products/").content.decode()
        page = client.get(f"/products/{lamp.slug}/").content.decode()
        return api_list, api_detail, "37.50" in listing, "37.50" in page

    assert faces() == ("50.00", "50.00", False, False)
    assert faces() == ("50.00", "50.00", False, False)  # served from the caches
    clock.move(minutes=10, seconds=1)  # one second after the start
    assert faces() == ("37.50", "37.50", True, True)
    assert faces() == ("37.50", "37.50", True, True)
    clock.move(minutes=10)  # one second after the end
    assert faces() == ("50.00", "50.00", False, False)


def test_writing_a_sale_reaches_the_cached_pages_at_once(client):
    now = timezone.now()
    mug = ProductFactory(price="10.00")
    assert _api_product(client, mug)["price"] == "10.00"  # cached now
    sale(starts=now - timedelta(minutes=1), ends=now + timedelta(days=1), products=[mug])
    assert _api_product(client, mug)["price"] == "8.00"


def test_a_sale_needs_two_times_and_no_free_shipping():
    from core.errors import DomainValidationError

    with pytest.raises(DomainValidationError):
        promotion_create(shop=None, data={"name": "x", "kind": "sale", "value": "10"}, by=None)
    with pytest.raises(DomainValidationError):
        now = timezone.now()
        sale(starts=now, ends=now + timedelta(days=1), reward="free_shipping")
