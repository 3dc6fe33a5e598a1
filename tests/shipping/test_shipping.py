"""Shipping zones and methods (issue 17): which methods a shop offers for an address and
at what price, the rules of their writes, and the API of a shop's members."""

from decimal import Decimal as D

import pytest

from core.errors import DomainValidationError
from shipping.exceptions import ShippingPermissionDenied
from shipping.models import ShippingMethod, ShippingZone
from shipping.selectors import Parcel, shipping_options
from shipping.services import (
    shipping_method_create,
    shipping_method_update,
    shipping_zone_create,
    shipping_zone_delete,
)
from shops.services import shop_create
from tests.conftest import bearer_client
from tests.factories import MembershipFactory, ShopFactory, UserFactory, verify_email

pytestmark = pytest.mark.django_db


def parcel(shop, subtotal="10.00", weight="0") -> Parcel:
    return Parcel(shop_id=shop.pk, subtotal=D(subtotal), weight_kg=D(weight))


@pytest.fixture
def shop():
    """A shop with a European zone (Germany and France), a US zone for California only,
    and everywhere else."""
    shop = ShopFactory(ships=False)
    europe = shipping_zone_create(
        shop=shop, data={"name": "Europe", "countries": ["DE", "FR"]}, by=None
    )
    shipping_method_create(
        zone=europe,
        data={"name": "Standard", "kind": "flat", "price": "4.90", "min_days": 2, "max_days": 4},
        by=None,
    )
    shipping_method_create(
        zone=europe,
        data={"name": "Free over 50", "kind": "free_over", "price": "6.90", "free_above": "50"},
        by=None,
    )
    shipping_method_create(
        zone=europe,
        data={
            "name": "Parcel by weight",
            "kind": "weight",
            "tiers": [{"up_to_kg": "2", "price": "5.50"}, {"up_to_kg": "10", "price": "12.00"}],
        },
        by=None,
    )
    shipping_method_create(
        zone=europe, data={"name": "Pick up in Berlin", "kind": "pickup", "price": "0"}, by=None
    )
    california = shipping_zone_create(
        shop=shop, data={"name": "California", "countries": ["US"], "regions": ["CA"]}, by=None
    )
    shipping_method_create(
        zone=california, data={"name": "Ground", "kind": "flat", "price": "9.00"}, by=None
    )
    world = shipping_zone_create(shop=shop, data={"name": "World", "countries": []}, by=None)
    shipping_method_create(
        zone=world, data={"name": "International", "kind": "flat", "price": "19.00"}, by=None
    )
    return shop


def names_and_prices(options) -> list[tuple[str, D]]:
    return [(option.name, option.price) for option in options]


def test_each_kind_of_method_prices_the_parcel(shop):
    light = shipping_options(parcels=[parcel(shop, "20.00", "1.5")], country="DE")[shop.pk]
    # Cheapest first: pickup 0, weight 5.50 (1.5 kg), flat 4.90, free-above under 50: 6.90.
    assert names_and_prices(light) == [
        ("Pick up in Berlin", D("0.00")),
        ("Standard", D("4.90")),
        ("Parcel by weight", D("5.50")),
        ("Free over 50", D("6.90")),
    ]
    heavy = shipping_options(parcels=[parcel(shop, "80.00", "12")], country="fr")[shop.pk]
    # Free from 50.00 on; 12 kg is heavier than every tier: no weight-based option.
    assert names_and_prices(heavy) == [
        ("Free over 50", D("0.00")),
        ("Pick up in Berlin", D("0.00")),
        ("Standard", D("4.90")),
    ]
    assert light[1].estimate == "2 to 4 working days"


def test_zones_are_matched_by_country_and_region_and_everywhere_else_serves_the_rest(shop):
    def offered(country, region=""):
        options = shipping_options(parcels=[parcel(shop)], country=country, region=region)
        return [option.name for option in options[shop.pk]]

    assert offered("US", "ca") == ["Ground"]
    assert offered("US", "NY") == ["International"]  # not California: everywhere else
    assert offered("JP") == ["International"]


def test_a_shop_without_a_zone_for_the_address_offers_nothing():
    europe_only = ShopFactory(ships=False)
    zone = shipping_zone_create(shop=europe_only, data={"name": "EU", "countries": ["DE"]}, by=None)
    method = shipping_method_create(zone=zone, data={"name": "Std", "price": "3"}, by=None)
    assert shipping_options(parcels=[parcel(europe_only)], country="GB") == {europe_only.pk: []}
    # An inactive method is not offered either.
    shipping_method_update(method=method, data={"is_active": False}, by=None)
    assert shipping_options(parcels=[parcel(europe_only)], country="DE") == {europe_only.pk: []}


def test_options_of_many_shops_cost_three_queries(shop, django_assert_num_queries):
    others = [ShopFactory() for _ in range(5)]
    parcels = [parcel(shop), *[parcel(other) for other in others]]
    with django_assert_num_queries(3):  # zones, methods, tiers
        options = shipping_options(parcels=parcels, country="DE")
    assert len(options) == 6 and all(options.values())


def test_a_new_shop_ships_everywhere_at_no_charge():
    owner = verify_email(UserFactory())
    new = shop_create(owner=owner, data={"name": "Fresh"}, by=None)
    [zone] = ShippingZone.objects.filter(shop=new)
    [method] = zone.methods.all()
    assert not zone.countries and (method.kind, method.price) == ("flat", D("0.00"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Std", "kind": "teleport"}, "kind"),
        ({"name": "Std", "price": "-1"}, "price"),
        ({"name": "Std", "currency": "EUR"}, "currency"),
        ({"name": "Std", "kind": "free_over"}, "free_above"),
        ({"name": "Std", "kind": "weight"}, "tiers"),
        ({"name": "Std", "kind": "weight", "tiers": [{"up_to_kg": "0", "price": "1"}]}, "tiers"),
        (
            {
                "name": "Std",
                "kind": "weight",
                "tiers": [{"up_to_kg": "1", "price": "1"}, {"up_to_kg": "1", "price": "2"}],
            },
            "tiers",
        ),
        ({"name": "Std", "min_days": 5, "max_days": 2}, "max_days"),
    ],
)
def test_a_bad_method_is_refused_and_writes_nothing(shop, data, field):
    zone = shop.shipping_zones.first()
    before = ShippingMethod.objects.count()
    with pytest.raises(DomainValidationError) as refused:
        shipping_method_create(zone=zone, data=data, by=None)
    assert field in refused.value.extra["fields"]
    assert ShippingMethod.objects.count() == before


def test_zones_of_one_shop_may_not_overlap(shop):
    with pytest.raises(DomainValidationError, match="Europe"):
        shipping_zone_create(shop=shop, data={"name": "Again", "countries": ["FR"]}, by=None)
    with pytest.raises(DomainValidationError, match="everywhere else"):
        shipping_zone_create(shop=shop, data={"name": "Rest", "countries": []}, by=None)
    with pytest.raises(DomainValidationError, match="country code"):
        shipping_zone_create(shop=shop, data={"name": "X", "countries": ["XX"]}, by=None)
    # Another region of the US is its own zone.
    ny = shipping_zone_create(
        shop=shop, data={"name": "New York", "countries": ["us"], "regions": ["NY"]}, by=None
    )
    assert list(ny.countries) == ["US"]


def test_only_members_and_staff_change_a_shops_shipping(shop):
    stranger = verify_email(UserFactory())
    member = MembershipFactory(shop=shop, role="staff").user
    with pytest.raises(ShippingPermissionDenied):
        shipping_zone_create(shop=shop, data={"name": "Mine", "countries": ["GB"]}, by=stranger)
    zone = shipping_zone_create(shop=shop, data={"name": "UK", "countries": ["GB"]}, by=member)
    with pytest.raises(ShippingPermissionDenied):
        shipping_zone_delete(zone=zone, by=stranger)
    shipping_zone_delete(zone=zone, by=member)
    assert not ShippingZone.objects.filter(pk=zone.pk).exists()


# --- API ------------------------------------------------------------------------------------


def test_anyone_reads_where_an_active_shop_ships(shop, api_client):
    response = api_client.get(f"/api/v1/shops/{shop.pk}/shipping-zones/")
    assert response.status_code == 200
    zones = {zone["name"]: zone for zone in response.json()}
    assert zones["Europe"]["countries"] == ["DE", "FR"]
    assert [m["name"] for m in zones["Europe"]["methods"]] == [
        "Standard",
        "Free over 50",
        "Parcel by weight",
        "Pick up in Berlin",
    ]
    assert zones["Europe"]["methods"][2]["tiers"] == [
        {"up_to_kg": "2.000", "price": "5.50"},
        {"up_to_kg": "10.000", "price": "12.00"},
    ]
    assert api_client.get("/api/v1/shops/999999/shipping-zones/").status_code == 404


def test_a_member_creates_a_zone_with_methods_over_the_api(shop):
    member = MembershipFactory(shop=shop).user
    client = bearer_client(member)
    response = client.post(
        f"/api/v1/shops/{shop.pk}/shipping-zones/",
        {
            "name": "Britain",
            "countries": ["GB"],
            "methods": [
                {
                    "name": "Royal Mail",
                    "kind": "flat",
                    "price": "3.20",
                    "min_days": 1,
                    "max_days": 3,
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    zone = response.json()
    assert zone["countries"] == ["GB"] and zone["methods"][0]["estimate"] == "1 to 3 working days"

    added = client.post(
        f"/api/v1/shops/{shop.pk}/shipping-methods/",
        {"zone_id": zone["id"], "name": "Courier", "kind": "flat", "price": "8.00"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    changed = client.patch(
        f"/api/v1/shops/{shop.pk}/shipping-methods/{added.json()['id']}/",
        {"price": "7.50"},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["price"] == "7.50"
    assert client.delete(f"/api/v1/shops/{shop.pk}/shipping-zones/{zone['id']}/").status_code == 204
    assert not ShippingZone.objects.filter(pk=zone["id"]).exists()


def test_the_api_refuses_strangers_and_bad_input(shop):
    stranger = bearer_client(verify_email(UserFactory()))
    url = f"/api/v1/shops/{shop.pk}/shipping-zones/"
    refused = stranger.post(url, {"name": "Mine", "countries": ["GB"]}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"

    member = bearer_client(MembershipFactory(shop=shop).user)
    bad = member.post(url, {"name": "Bad", "countries": ["ZZ"]}, format="json")
    assert bad.status_code == 400 and "countries" in bad.json()["fields"]
    overlap = member.post(url, {"name": "Again", "countries": ["DE"]}, format="json")
    assert overlap.status_code == 400 and overlap.json()["code"] == "validation_error"
    negative = member.post(
        f"/api/v1/shops/{shop.pk}/shipping-methods/",
        {"zone_id": shop.shipping_zones.first().pk, "name": "X", "price": "-2"},
        format="json",
    )
    assert negative.status_code == 400 and "price" in negative.json()["fields"]
    other_zone = ShopFactory().shipping_zones.first()
    foreign = member.post(
        f"/api/v1/shops/{shop.pk}/shipping-methods/",
        {"zone_id": other_zone.pk, "name": "X", "price": "2"},
        format="json",
    )
    assert foreign.status_code == 404
    assert ShippingZone.objects.filter(shop=shop).count() == 3


@pytest.mark.parametrize(
    "tiers",
    [
        [{"up_to_kg": "NaN", "price": "1"}],
        [{"up_to_kg": "Infinity", "price": "1"}],
        [{"up_to_kg": "1000000", "price": "1"}],
        [{"up_to_kg": "1", "price": "1e20"}],
        [{"up_to_kg": "heavy", "price": "1"}],
    ],
)
def test_weights_and_prices_out_of_range_are_refused(shop, tiers):
    zone = shop.shipping_zones.first()
    with pytest.raises(DomainValidationError) as refused:
        shipping_method_create(
            zone=zone, data={"name": "X", "kind": "weight", "tiers": tiers}, by=None
        )
    assert "tiers" in refused.value.extra["fields"]


def test_the_shop_page_shows_where_it_ships_and_follows_changes(shop, client):
    page = client.get(f"/shops/{shop.slug}/").content.decode()
    assert "Pick up in Berlin" in page and "France" in page
    zone = shop.shipping_zones.get(name="Europe")
    shipping_method_create(zone=zone, data={"name": "Courier", "price": "15"}, by=None)
    assert "Courier" in client.get(f"/shops/{shop.slug}/").content.decode()
