"""The admin for shop members who are not platform staff: who gets in (access comes and
goes with a membership), what the dashboard offers each person, and what a shop's owner
and a shop's staff member may do with their shop. Nobody but platform staff sees
people's accounts, addresses or the list of all memberships.

Shop A (Alpha Audio) has an owner and a staff member (`clerk_a`); shop B (Beta Books) has
an owner; `outsider` belongs to no shop; none of them is platform staff.
"""

import pytest
from django.urls import reverse

from shops.models import Shop, ShopMembership
from shops.services import membership_remove
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

ADMIN_INDEX = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
SHOP_CHANGELIST = reverse("admin:shops_shop_changelist")
PRODUCT_CHANGELIST = reverse("admin:catalog_product_changelist")


def shop_change_url(shop) -> str:
    return reverse("admin:shops_shop_change", args=[shop.pk])


@pytest.fixture
def shop_a(db):
    return ShopFactory(name="Alpha Audio", slug="alpha-audio", email="hi@alpha.example")


@pytest.fixture
def shop_b(db):
    return ShopFactory(name="Beta Books", slug="beta-books")


@pytest.fixture
def owner_a(shop_a):
    return MembershipFactory(shop=shop_a, role="owner", user__email="owner@alpha.example").user


@pytest.fixture
def clerk_a(shop_a):
    return MembershipFactory(shop=shop_a, role="staff", user__email="clerk@alpha.example").user


@pytest.fixture
def owner_b(shop_b):
    return MembershipFactory(shop=shop_b, role="owner", user__email="owner@beta.example").user


@pytest.fixture
def outsider(db):
    return UserFactory(email="someone@example.com")


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def signed_in(client):
    """`signed_in(user)`: the test's client, signed in as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def _listed(response) -> list:
    return list(response.context["cl"].result_list)


def _errors(response) -> str:
    assert response.status_code == 200, "expected the form again, with errors"
    return str(response.context["errors"])


def _shop_post(shop, memberships=(), **overrides) -> dict:
    """The shop form as a seller's browser posts it; `memberships` are inline rows."""
    data = {
        "name": shop.name,
        "description": shop.description,
        "address": shop.address,
        "email": shop.email,
        "phone": shop.phone,
        "low_stock_threshold": str(shop.low_stock_threshold),
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in memberships if "id" in row)),
    }
    for index, row in enumerate(memberships):
        for key, value in {"shop": shop.pk, **row}.items():
            data[f"memberships-{index}-{key}"] = value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- The dashboard ----------------------------------------------------------------------

OWN_APPS = ("accounts", "catalog", "shops")  # the apps whose admins this work covers


def _dashboard(client) -> dict[str, set[str]]:
    response = client.get(ADMIN_INDEX)
    assert response.status_code == 200
    return {
        app["app_label"]: {model["object_name"] for model in app["models"]}
        for app in response.context["app_list"]
        if app["app_label"] in OWN_APPS
    }


@pytest.mark.parametrize("person", ["owner_a", "clerk_a"])
def test_sellers_dashboard_offers_their_products_and_shop_only(request, signed_in, person):
    client = signed_in(request.getfixturevalue(person))

    assert _dashboard(client) == {"catalog": {"Product", "ProductVariant"}, "shops": {"Shop"}}


def test_platform_staff_dashboard_offers_everything(signed_in, superuser):
    assert _dashboard(signed_in(superuser)) == {
        "accounts": {"Address", "User"},
        "catalog": {"Category", "Product", "ProductVariant", "Review", "Tag"},
        "shops": {"Shop", "ShopMembership"},
    }


# --- Who gets in: platform staff and shop members ---------------------------------------


def _log_in(client, user):
    """The admin's sign-in: the site's sign-in page (the admin sends everyone there, for
    the guard against guessing and the second factor), leading back to the admin."""
    return client.post(
        reverse("account_login") + f"?next={ADMIN_INDEX}",
        {"login": user.email, "password": DEFAULT_PASSWORD},
    )


def test_a_shop_member_signs_in_with_their_shop_login(client, clerk_a):
    response = _log_in(client, clerk_a)

    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX
    assert client.get(PRODUCT_CHANGELIST).status_code == 200


def test_someone_of_no_shop_is_refused_by_the_admin(client, outsider):
    _log_in(client, outsider)  # signed in on the site, as any customer

    response = client.get(ADMIN_INDEX, follow=True)

    assert response.status_code == 403
    assert client.get(PRODUCT_CHANGELIST, follow=True).status_code == 403


def test_someone_of_no_shop_signed_in_on_the_site_is_sent_to_the_login(signed_in, outsider):
    response = signed_in(outsider).get(ADMIN_INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


def test_access_goes_with_the_last_membership(signed_in, owner_a, clerk_a, shop_a, shop_b):
    second = MembershipFactory(shop=shop_b, user=clerk_a, role="staff")
    client = signed_in(clerk_a)
    assert client.get(PRODUCT_CHANGELIST).status_code == 200

    membership_remove(membership=ShopMembership.objects.get(user=clerk_a, shop=shop_a), by=owner_a)
    assert client.get(PRODUCT_CHANGELIST).status_code == 200  # still a member of shop B

    membership_remove(membership=second, by=clerk_a)  # leaves the last shop
    for url in (ADMIN_INDEX, PRODUCT_CHANGELIST, shop_change_url(shop_b)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(ADMIN_LOGIN)

    client.logout()
    _log_in(client, clerk_a)
    assert client.get(ADMIN_INDEX, follow=True).status_code == 403


# --- Shops: a seller's own only ---------------------------------------------------------


def test_sellers_see_only_their_shops(signed_in, owner_a, clerk_a, owner_b, shop_a, shop_b):
    assert _listed(signed_in(owner_a).get(SHOP_CHANGELIST)) == [shop_a]
    assert _listed(signed_in(clerk_a).get(SHOP_CHANGELIST)) == [shop_a]
    MembershipFactory(shop=shop_b, user=clerk_a, role="staff")
    assert _listed(signed_in(clerk_a).get(SHOP_CHANGELIST)) == [shop_a, shop_b]


def test_platform_staff_see_every_shop(signed_in, superuser, shop_a, shop_b):
    assert _listed(signed_in(superuser).get(SHOP_CHANGELIST)) == [shop_a, shop_b]


def test_another_shop_is_not_found_and_not_changed(signed_in, owner_a, owner_b, shop_b):
    client = signed_in(owner_a)

    assert client.get(shop_change_url(shop_b)).status_code == 404
    response = client.post(shop_change_url(shop_b), _shop_post(shop_b, name="Taken over"))

    assert response.status_code == 404
    shop_b.refresh_from_db()
    assert shop_b.name == "Beta Books"


def test_sellers_do_not_open_shops_nor_open_or_close_them(signed_in, owner_a, shop_a):
    client = signed_in(owner_a)

    assert client.get(reverse("admin:shops_shop_add")).status_code == 403
    assert client.get(SHOP_CHANGELIST).context["action_form"] is None  # no actions at all
    client.post(SHOP_CHANGELIST, {"action": "deactivate_shops", "_selected_action": [shop_a.pk]})
    shop_a.refresh_from_db()
    assert shop_a.is_active is True


# --- Shops: an owner changes the details, a staff member only looks ---------------------


def test_owner_changes_the_shops_details_but_not_its_address_or_activation(
    signed_in, owner_a, shop_a
):
    client = signed_in(owner_a)
    form = client.get(shop_change_url(shop_a)).context["adminform"].form
    assert "slug" not in form.fields
    assert "is_active" not in form.fields

    response = client.post(
        shop_change_url(shop_a),
        _shop_post(
            shop_a,
            name="  Alpha Audio Ltd  ",
            description="Amplifiers since 1972.",
            phone="+44 20 7946 0001",
            low_stock_threshold="2",
            slug="hijacked",  # read-only: ignored
            is_active=None,  # an unticked box would close the shop: ignored too
        ),
    )

    assert response.status_code == 302
    shop_a.refresh_from_db()
    assert shop_a.name == "Alpha Audio Ltd"  # through shop_update, which strips it
    assert (shop_a.description, shop_a.low_stock_threshold) == ("Amplifiers since 1972.", 2)
    assert (shop_a.slug, shop_a.is_active) == ("alpha-audio", True)


def test_shop_staff_member_sees_the_shop_read_only(signed_in, owner_a, clerk_a, shop_a):
    client = signed_in(clerk_a)

    page = client.get(shop_change_url(shop_a))
    response = client.post(shop_change_url(shop_a), _shop_post(shop_a, name="Clerk's Corner"))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    [members] = page.context["inline_admin_formsets"]
    assert members.has_add_permission is False
    assert members.has_delete_permission is False
    content = page.content.decode()
    assert "owner@alpha.example" in content
    assert "clerk@alpha.example" in content
    assert response.status_code == 403
    shop_a.refresh_from_db()
    assert shop_a.name == "Alpha Audio"


def test_shop_staff_member_still_edits_the_shops_products(signed_in, clerk_a, shop_a):
    product = ProductFactory(shop=shop_a, stock_quantity=1)

    page = signed_in(clerk_a).get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is True


# --- Shops: an owner manages the members in the inline ----------------------------------


def test_owner_adds_a_member_by_email_address(signed_in, owner_a, shop_a):
    newcomer = verify_email(UserFactory(email="new@alpha.example"))
    client = signed_in(owner_a)

    page = client.get(shop_change_url(shop_a))
    [members] = page.context["inline_admin_formsets"]
    assert "email" in members.formset.form.base_fields
    assert "user" not in members.formset.form.base_fields  # no list of everyone's accounts

    response = client.post(
        shop_change_url(shop_a),
        _shop_post(shop_a, memberships=[{"email": "NEW@alpha.example", "role": "staff"}]),
    )

    assert response.status_code == 302
    assert ShopMembership.objects.get(shop=shop_a, user=newcomer).role == "staff"


def test_owner_adding_an_unknown_address_gets_a_form_error(signed_in, owner_a, shop_a):
    response = signed_in(owner_a).post(
        shop_change_url(shop_a),
        _shop_post(
            shop_a, name="Renamed", memberships=[{"email": "nobody@example.com", "role": "staff"}]
        ),
    )

    assert "ask them to sign up" in _errors(response)
    assert shop_a.memberships.count() == 1
    shop_a.refresh_from_db()
    assert shop_a.name == "Alpha Audio"  # the whole save was rolled back


def test_owner_promotes_and_removes_members(signed_in, owner_a, clerk_a, shop_a):
    helper = MembershipFactory(shop=shop_a, role="staff")
    clerk = ShopMembership.objects.get(user=clerk_a)
    rows = [
        {"id": clerk.pk, "role": "owner"},
        {"id": helper.pk, "role": "staff", "DELETE": "on"},
    ]

    response = signed_in(owner_a).post(shop_change_url(shop_a), _shop_post(shop_a, rows))

    assert response.status_code == 302
    assert dict(shop_a.memberships.values_list("user__email", "role")) == {
        "owner@alpha.example": "owner",
        "clerk@alpha.example": "owner",
    }


def test_an_existing_members_address_cannot_be_changed_in_the_row(
    signed_in, owner_a, clerk_a, shop_a
):
    clerk = ShopMembership.objects.get(user=clerk_a)
    outsider = UserFactory(email="other@example.com")
    row = {"id": clerk.pk, "email": outsider.email, "role": "staff"}

    response = signed_in(owner_a).post(shop_change_url(shop_a), _shop_post(shop_a, [row]))

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.user == clerk_a
    assert not ShopMembership.objects.filter(user=outsider).exists()


def test_the_last_owner_cannot_remove_themselves(signed_in, owner_a, shop_a):
    own = ShopMembership.objects.get(user=owner_a)
    row = {"id": own.pk, "role": "owner", "DELETE": "on"}

    response = signed_in(owner_a).post(shop_change_url(shop_a), _shop_post(shop_a, [row]))

    assert "at least one owner" in _errors(response)
    assert ShopMembership.objects.filter(pk=own.pk).exists()


def test_a_member_row_of_another_shop_is_not_reachable(signed_in, owner_a, owner_b, shop_a):
    theirs = ShopMembership.objects.get(user=owner_b)
    row = {"id": theirs.pk, "role": "staff", "DELETE": "on"}

    signed_in(owner_a).post(shop_change_url(shop_a), _shop_post(shop_a, [row]))

    theirs.refresh_from_db()
    assert (theirs.shop.name, theirs.role) == ("Beta Books", "owner")


# --- People and memberships: platform staff only ----------------------------------------


@pytest.mark.parametrize("person", ["owner_a", "clerk_a"])
def test_sellers_never_open_people_addresses_or_the_memberships_list(request, signed_in, person):
    user = request.getfixturevalue(person)
    client = signed_in(user)
    membership = ShopMembership.objects.get(user=user)

    for url in (
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[user.pk]),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_address_changelist"),
        reverse("admin:shops_shopmembership_changelist"),
        reverse("admin:shops_shopmembership_add"),
        reverse("admin:shops_shopmembership_change", args=[membership.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_sellers_cannot_search_people_through_the_autocomplete(signed_in, owner_a, outsider):
    response = signed_in(owner_a).get(
        reverse("admin:autocomplete"),
        {"app_label": "shops", "model_name": "shopmembership", "field_name": "user", "term": "@"},
    )

    assert response.status_code == 403


def test_sellers_cannot_delete_memberships_from_the_list(signed_in, owner_a, clerk_a):
    clerk = ShopMembership.objects.get(user=clerk_a)

    response = signed_in(owner_a).post(
        reverse("admin:shops_shopmembership_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [clerk.pk]},
    )

    assert response.status_code == 403
    assert ShopMembership.objects.filter(pk=clerk.pk).exists()


def test_a_former_staff_member_with_permissions_left_sees_no_people(signed_in, clerk_a):
    from django.contrib.auth.models import Permission

    clerk_a.user_permissions.set(
        Permission.objects.filter(codename__in=["view_user", "change_user", "view_shop"])
    )

    client = signed_in(clerk_a)

    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert "accounts" not in _dashboard(client)
    assert _listed(client.get(SHOP_CHANGELIST)) == list(Shop.objects.filter(name="Alpha Audio"))
