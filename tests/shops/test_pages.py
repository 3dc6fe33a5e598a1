"""Shop pages: the directory, a shop's storefront (its products with the catalog's
filters), who may see an inactive shop, and the owners' members page."""

import re

import pytest

from shops.models import Shop, ShopMembership
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

CARD_NAME = re.compile(
    r'<h3 class="product-card-title"><a class="stretched-link" href="[^"]+">([^<]+)</a>'
)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def names(response) -> list[str]:
    return CARD_NAME.findall(html(response))


# --- Directory -----------------------------------------------------------------------------


def test_the_shop_list_shows_active_shops_only(client):
    ShopFactory(name="Bright", slug="bright", description="Lamps and more.")
    ShopFactory(name="Closed", is_active=False)

    page = html(client.get("/shops/"))

    assert "<title>Shops · Shop</title>" in page
    assert 'href="/shops/bright/">Bright</a>' in page and "Lamps and more." in page
    assert "Closed" not in page
    assert "1 independent shop selling here." in page


def test_the_shop_list_is_paginated(client):
    for n in range(30):
        ShopFactory(name=f"Shop {n:02d}")

    first = html(client.get("/shops/"))
    second = html(client.get("/shops/?page=2"))

    assert "Shop 23" in first and "Shop 24" not in first
    assert "Shop 24" in second and "Shop 29" in second
    assert 'rel="next" href="?page=2"' in first


def test_an_empty_shop_list_says_so(client):
    assert "No shops yet" in html(client.get("/shops/"))


# --- A shop's page -------------------------------------------------------------------------


@pytest.fixture
def shop():
    shop = ShopFactory(
        name="Oak Works",
        slug="oak-works",
        description="Furniture from fallen oaks.",
        email="hello@oak.example",
        phone="+41 44 000 00 00",
        address="1 Forest Road\nOakham",
    )
    ProductFactory(name="Chair", shop=shop, price="120.00")
    ProductFactory(name="Stool", shop=shop, price="45.00", stock_quantity=0)
    ProductFactory(name="Table", shop=shop, price="300.00")
    ProductFactory(name="Draft", shop=shop, is_active=False)
    ProductFactory(name="Elsewhere")
    return shop


def test_a_shop_page_shows_its_details_and_its_products(client, shop):
    response = client.get("/shops/oak-works/")

    page = html(response)
    assert "<title>Oak Works · Shop</title>" in page
    assert "<h1>Oak Works</h1>" in page
    assert "Furniture from fallen oaks." in page
    assert 'href="mailto:hello@oak.example"' in page and "+41 44 000 00 00" in page
    assert "1 Forest Road<br>Oakham" in page
    assert names(response) == ["Table", "Stool", "Chair"]
    assert 'id="filter-shop"' not in page  # the shop is the page's own
    assert "Manage members" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ordering=price", ["Stool", "Chair", "Table"]),
        ("ordering=name", ["Chair", "Stool", "Table"]),
        ("in_stock=true", ["Table", "Chair"]),
        ("min_price=100&max_price=200", ["Chair"]),
        ("shop=someone-else", ["Table", "Stool", "Chair"]),  # ignored here
        ("q=table", ["Table"]),
    ],
)
def test_a_shop_page_takes_the_catalog_filters_and_sorts(client, shop, query, expected):
    assert names(client.get(f"/shops/oak-works/?{query}")) == expected


def test_a_shop_page_is_paginated_and_keeps_its_filters(client):
    shop = ShopFactory(slug="big")
    for n in range(26):
        ProductFactory(name=f"Item {n:02d}", shop=shop)

    first = client.get("/shops/big/?in_stock=true")
    second = client.get("/shops/big/?in_stock=true&page=2")

    assert len(names(first)) == 24 and len(names(second)) == 2
    assert 'href="?in_stock=true&amp;page=2"' in html(first)


def test_an_unknown_shop_is_a_404_page(client):
    response = client.get("/shops/nobody/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_inactive_shop_is_a_404_for_everyone_but_its_members_and_staff(client, shop):
    Shop.objects.filter(pk=shop.pk).update(is_active=False)
    member = MembershipFactory(shop=shop, role="staff").user

    assert client.get("/shops/oak-works/").status_code == 404
    client.force_login(UserFactory())
    assert client.get("/shops/oak-works/").status_code == 404

    for viewer in (member, StaffFactory()):
        client.force_login(viewer)
        response = client.get("/shops/oak-works/")
        page = html(response)
        assert "This shop is inactive." in page
        assert set(names(response)) == {"Chair", "Stool", "Table", "Draft"}
        assert "Not published" in page


def test_members_see_their_unpublished_products_marked(client, shop):
    client.force_login(MembershipFactory(shop=shop, role="staff").user)

    response = client.get("/shops/oak-works/")

    assert "Draft" in names(response)
    card = html(response).split("Draft</a>")[0].rsplit('<article class="product-card"', 1)[1]
    assert "Not published" in card


def test_owners_find_the_members_page_from_the_shop_page(client, shop):
    client.force_login(MembershipFactory(shop=shop, role="owner").user)
    assert 'href="/shops/oak-works/members/">Manage members' in html(
        client.get("/shops/oak-works/")
    )


def test_a_shop_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    shop = ShopFactory(slug="busy")
    ProductFactory(shop=shop)
    client.get("/shops/busy/")
    # + the sidebar's option facets and the cards' colours.
    with django_assert_max_num_queries(7):
        client.get("/shops/busy/")
    for _ in range(30):
        ProductFactory(shop=shop)
    with django_assert_max_num_queries(7):
        assert len(names(client.get("/shops/busy/"))) == 24


# --- Members page --------------------------------------------------------------------------


@pytest.fixture
def owner(shop):
    return MembershipFactory(
        shop=shop, role="owner", user=UserFactory(email="owner@example.com")
    ).user


def test_the_members_page_lists_members_with_their_roles(client, shop, owner):
    MembershipFactory(shop=shop, role="staff", user=UserFactory(email="clerk@example.com"))
    client.force_login(owner)

    page = html(client.get("/shops/oak-works/members/"))

    assert "<title>Members of Oak Works · Shop</title>" in page
    members = page.split('class="member-list"')[1].split("</ul>")[0]
    assert re.findall(r'<span class="break-anywhere">([^<]+)</span>', members) == [
        "owner@example.com",
        "clerk@example.com",
    ]
    assert ">Owner</span>" in members and ">Staff</span>" in members
    assert '<label for="id_email">Email address</label>' in page
    assert '<label for="id_role">Role</label>' in page


def test_an_owner_adds_a_member_by_email(client, shop, owner):
    newcomer = verify_email(UserFactory(email="new@example.com"))
    client.force_login(owner)

    response = client.post(
        "/shops/oak-works/members/", {"email": "New@Example.com", "role": "staff"}
    )

    assert response.status_code == 302
    assert response.url == "/shops/oak-works/members/"
    assert ShopMembership.objects.get(shop=shop, user=newcomer).role == "staff"
    assert "new@example.com is now staff of Oak Works." in html(client.get(response.url))


def test_adding_an_address_without_an_account_is_a_form_error(client, shop, owner):
    client.force_login(owner)

    page = html(
        client.post("/shops/oak-works/members/", {"email": "ghost@example.com", "role": "owner"})
    )

    assert "No account uses this address" in page
    assert 'value="ghost@example.com"' in page
    assert ShopMembership.objects.filter(shop=shop).count() == 1


def test_a_bad_email_or_role_is_a_form_error(client, shop, owner):
    client.force_login(owner)
    page = html(client.post("/shops/oak-works/members/", {"email": "nope", "role": "king"}))
    assert "Enter a valid email address." in page
    assert "Select a valid choice." in page


def test_removing_a_member_asks_first_then_removes(client, shop, owner):
    clerk = MembershipFactory(shop=shop, role="staff", user=UserFactory(email="clerk@example.com"))
    client.force_login(owner)
    url = f"/shops/oak-works/members/{clerk.pk}/remove/"

    page = html(client.get(url))
    assert "Remove clerk@example.com?" in page
    assert ShopMembership.objects.filter(pk=clerk.pk).exists()

    response = client.post(url)
    assert response.status_code == 302 and response.url == "/shops/oak-works/members/"
    assert not ShopMembership.objects.filter(pk=clerk.pk).exists()


def test_the_last_owner_cannot_be_removed(client, shop, owner):
    client.force_login(owner)
    membership = ShopMembership.objects.get(user=owner)

    page = html(client.post(f"/shops/oak-works/members/{membership.pk}/remove/"))

    assert "A shop needs at least one owner" in page
    assert ShopMembership.objects.filter(pk=membership.pk).exists()


def test_a_member_of_another_shop_cannot_be_removed_here(client, shop, owner):
    elsewhere = MembershipFactory()
    client.force_login(owner)
    assert client.post(f"/shops/oak-works/members/{elsewhere.pk}/remove/").status_code == 404
    assert ShopMembership.objects.filter(pk=elsewhere.pk).exists()


def test_staff_members_get_a_403_and_everyone_else_a_404(client, shop, owner):
    staff_member = MembershipFactory(shop=shop, role="staff").user
    owner_membership = ShopMembership.objects.get(user=owner)

    client.force_login(staff_member)
    response = client.get("/shops/oak-works/members/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert client.post("/shops/oak-works/members/", {"email": "x@example.com"}).status_code == 403
    remove_url = f"/shops/oak-works/members/{owner_membership.pk}/remove/"
    assert client.post(remove_url).status_code == 403

    client.force_login(UserFactory())
    assert client.get("/shops/oak-works/members/").status_code == 404
    assert client.post(remove_url).status_code == 404
    assert ShopMembership.objects.filter(shop=shop).count() == 2


def test_anonymous_visitors_are_sent_to_sign_in(client, shop):
    response = client.get("/shops/oak-works/members/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/shops/oak-works/members/")


def test_platform_staff_manage_any_shops_members(client, shop, owner):
    client.force_login(StaffFactory())
    assert "owner@example.com" in html(client.get("/shops/oak-works/members/"))


def test_an_owner_who_makes_themselves_staff_is_sent_to_the_shop_page(client, shop, owner):
    MembershipFactory(shop=shop, role="owner")
    client.force_login(owner)

    response = client.post("/shops/oak-works/members/", {"email": owner.email, "role": "staff"})

    assert response.status_code == 302 and response.url == "/shops/oak-works/"
    assert ShopMembership.objects.get(shop=shop, user=owner).role == "staff"
    assert client.get("/shops/oak-works/members/").status_code == 403


def test_the_last_owner_cannot_make_themselves_staff(client, shop, owner):
    client.force_login(owner)

    page = html(client.post("/shops/oak-works/members/", {"email": owner.email, "role": "staff"}))

    assert "A shop needs at least one owner" in page
    assert ShopMembership.objects.get(shop=shop, user=owner).role == "owner"
