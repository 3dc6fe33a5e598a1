"""The staff admin of shops and memberships: lists in a fixed number of queries, and every
write through shops.services (a refusal is a form error or a message, never a 500)."""

import pytest
from django.urls import reverse

from catalog.selectors import product_list_public
from shops.models import Shop, ShopMembership
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

SHOP_CHANGELIST = reverse("admin:shops_shop_changelist")
SHOP_ADD = reverse("admin:shops_shop_add")
MEMBERSHIP_CHANGELIST = reverse("admin:shops_shopmembership_changelist")
MEMBERSHIP_ADD = reverse("admin:shops_shopmembership_add")


def shop_change_url(shop) -> str:
    return reverse("admin:shops_shop_change", args=[shop.pk])


def membership_change_url(membership) -> str:
    return reverse("admin:shops_shopmembership_change", args=[membership.pk])


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _listed(response) -> list:
    return list(response.context["cl"].result_list)


def _errors(response) -> str:
    """Everything the re-shown form complains about (main form and inline rows)."""
    assert response.status_code == 200, "expected the form again, with errors"
    return str(response.context["errors"])


def _shop_post(shop=None, memberships=(), **overrides) -> dict:
    """The shop form as the browser posts it; `memberships` are inline rows
    (dicts with user, role and, for existing rows, id and DELETE)."""
    data = {
        "name": shop.name if shop else "Corner Shop",
        "description": "",
        "address": "",
        "email": "",
        "phone": "",
        "is_active": "on",
        "low_stock_threshold": "5",
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in memberships if "id" in row)),
    }
    if shop is None:
        data["slug"] = ""
    for index, row in enumerate(memberships):
        for key, value in row.items():
            data[f"memberships-{index}-{key}"] = value
        if shop is not None:
            data[f"memberships-{index}-shop"] = shop.pk
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Shops: the list --------------------------------------------------------------------


@pytest.mark.parametrize("shop_count", [3, 30])
def test_shop_changelist_query_count_does_not_grow_with_shops(
    admin_client, django_assert_max_num_queries, shop_count
):
    for _ in range(shop_count):
        MembershipFactory.create_batch(2, shop=ShopFactory())

    # One budget for 3 rows and for 30 (the site's cart context processor included).
    with django_assert_max_num_queries(6):
        response = admin_client.get(SHOP_CHANGELIST)

    assert response.status_code == 200
    assert len(_listed(response)) == shop_count
    assert {shop.members_count for shop in _listed(response)} == {2}


def test_shop_changelist_columns_search_and_filter(admin_client):
    wanted = ShopFactory(name="Tea House", email="hello@tea.example")
    MembershipFactory(shop=wanted)
    closed = ShopFactory(name="Closed Corner", is_active=False)

    response = admin_client.get(SHOP_CHANGELIST)
    assert response.context["cl"].list_display[1:] == [
        "name",
        "slug",
        "is_active",
        "members_count",
        "created_at",
    ]
    assert _listed(admin_client.get(SHOP_CHANGELIST, {"q": "tea.example"})) == [wanted]
    assert _listed(admin_client.get(SHOP_CHANGELIST, {"q": wanted.slug})) == [wanted]
    assert _listed(admin_client.get(SHOP_CHANGELIST, {"is_active__exact": "0"})) == [closed]


# --- Shops: actions ---------------------------------------------------------------------


def test_deactivate_action_takes_the_shop_and_its_products_out_of_the_catalog(admin_client):
    product = ProductFactory()
    other = ProductFactory()

    response = admin_client.post(
        SHOP_CHANGELIST,
        {"action": "deactivate_shops", "_selected_action": [product.shop.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Deactivated 1 shop" in response.content.decode()
    product.shop.refresh_from_db()
    assert product.shop.is_active is False
    assert list(product_list_public()) == [other]


def test_activate_action_brings_shops_back(admin_client):
    product = ProductFactory(shop=ShopFactory(is_active=False))

    admin_client.post(
        SHOP_CHANGELIST, {"action": "activate_shops", "_selected_action": [product.shop.pk]}
    )

    product.shop.refresh_from_db()
    assert product.shop.is_active is True
    assert list(product_list_public()) == [product]


def test_shops_are_not_deleted_from_the_admin(admin_client):
    shop = ShopFactory()

    response = admin_client.get(SHOP_CHANGELIST)

    choices = response.context["action_form"].fields["action"].choices
    assert [name for name, _ in choices if name] == ["activate_shops", "deactivate_shops"]
    delete_url = reverse("admin:shops_shop_delete", args=[shop.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Shop.objects.filter(pk=shop.pk).exists()


# --- Shops: the form --------------------------------------------------------------------


def test_shop_change_page_shows_the_members(admin_client):
    membership = MembershipFactory(user=UserFactory(email="owner@tea.example"))

    response = admin_client.get(shop_change_url(membership.shop))

    assert response.status_code == 200
    formsets = response.context["inline_admin_formsets"]
    assert [form.instance for form in formsets[0].formset.forms] == [membership]
    assert "owner@tea.example" in response.content.decode()


def test_staff_who_open_a_shop_do_not_become_its_owner(admin_client, superuser):
    response = admin_client.post(SHOP_ADD, _shop_post(name="Corner Shop"))

    assert response.status_code == 302
    shop = Shop.objects.get(name="Corner Shop")
    assert shop.slug == "corner-shop"
    assert not ShopMembership.objects.filter(shop=shop).exists()
    assert not superuser.shop_memberships.exists()


def test_a_shop_opened_with_an_owner_chosen_in_the_members(admin_client):
    seller = verify_email(UserFactory())

    response = admin_client.post(
        SHOP_ADD, _shop_post(name="Tea House", memberships=[{"user": seller.pk, "role": "owner"}])
    )

    assert response.status_code == 302
    shop = Shop.objects.get(name="Tea House")
    assert list(shop.memberships.values_list("user", "role")) == [(seller.pk, "owner")]


def test_saving_a_shop_goes_through_shop_update(admin_client):
    membership = MembershipFactory()
    shop = membership.shop
    row = {"id": membership.pk, "user": membership.user.pk, "role": "owner"}

    response = admin_client.post(
        shop_change_url(shop),
        _shop_post(shop, memberships=[row], name="  New Name  ", slug="hacked", is_active=None),
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.name == "New Name"
    assert shop.is_active is False
    assert shop.slug != "hacked"  # read-only once the shop exists


def test_an_owner_can_be_replaced_in_one_save(admin_client):
    old = MembershipFactory(role="owner")
    shop = old.shop
    new_owner = verify_email(UserFactory())
    rows = [
        {"id": old.pk, "user": old.user.pk, "role": "owner", "DELETE": "on"},
        {"user": new_owner.pk, "role": "owner"},
    ]

    response = admin_client.post(shop_change_url(shop), _shop_post(shop, memberships=rows))

    assert response.status_code == 302
    assert list(shop.memberships.values_list("user", "role")) == [(new_owner.pk, "owner")]


def test_removing_the_last_owner_is_a_form_error_and_changes_nothing(admin_client):
    owner = MembershipFactory(role="owner")
    shop = owner.shop
    staff = MembershipFactory(shop=shop, role="staff")
    rows = [
        {"id": owner.pk, "user": owner.user.pk, "role": "owner", "DELETE": "on"},
        {"id": staff.pk, "user": staff.user.pk, "role": "owner"},
    ]
    # The staff member is promoted in the same save: that is allowed...
    response = admin_client.post(shop_change_url(shop), _shop_post(shop, memberships=rows))
    assert response.status_code == 302
    assert list(shop.memberships.values_list("user", "role")) == [(staff.user.pk, "owner")]

    # ...but the shop's only owner cannot simply go.
    last = ShopMembership.objects.get(shop=shop)
    rows = [{"id": last.pk, "user": last.user.pk, "role": "owner", "DELETE": "on"}]
    response = admin_client.post(
        shop_change_url(shop), _shop_post(shop, memberships=rows, name="Renamed")
    )

    assert "at least one owner" in _errors(response)
    assert ShopMembership.objects.filter(pk=last.pk).exists()
    shop.refresh_from_db()
    assert shop.name != "Renamed"  # the whole save was rolled back
    # The user's input is kept on the form shown again.
    assert response.context["adminform"].form["name"].value() == "Renamed"


def test_an_inactive_account_cannot_be_added_as_member(admin_client):
    shop = ShopFactory()
    gone = UserFactory(is_active=False)

    response = admin_client.post(
        shop_change_url(shop), _shop_post(shop, memberships=[{"user": gone.pk, "role": "staff"}])
    )

    assert "ask them to sign up" in _errors(response)
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert row.errors  # on the row that asked for it
    assert not shop.memberships.exists()


def test_a_membership_does_not_move_to_another_person(admin_client):
    membership = MembershipFactory()
    other = UserFactory()
    row = {"id": membership.pk, "user": other.pk, "role": "owner"}

    response = admin_client.post(
        shop_change_url(membership.shop), _shop_post(membership.shop, memberships=[row])
    )

    assert "does not move to another person" in _errors(response)
    membership.refresh_from_db()
    assert membership.user_id != other.pk


# --- Memberships ------------------------------------------------------------------------


@pytest.mark.parametrize("membership_count", [3, 30])
def test_membership_changelist_query_count_does_not_grow(
    admin_client, django_assert_max_num_queries, membership_count
):
    MembershipFactory.create_batch(membership_count)

    # One budget for 3 rows and for 30 (the site's cart context processor included).
    with django_assert_max_num_queries(6):
        response = admin_client.get(MEMBERSHIP_CHANGELIST)

    assert response.status_code == 200
    assert len(_listed(response)) == membership_count


def test_membership_changelist_shows_shop_email_and_role(admin_client):
    MembershipFactory(shop=ShopFactory(name="Tea House"), user=UserFactory(email="a@tea.example"))

    response = admin_client.get(MEMBERSHIP_CHANGELIST, {"q": "a@tea.example"})

    assert response.context["cl"].list_display[1:] == [
        "shop",
        "user_email",
        "role",
        "created_at",
    ]
    content = response.content.decode()
    assert "Tea House" in content
    assert "a@tea.example" in content


def test_membership_added_and_changed_through_the_services(admin_client):
    shop = ShopFactory()
    person = verify_email(UserFactory())

    response = admin_client.post(
        MEMBERSHIP_ADD, {"shop": shop.pk, "user": person.pk, "role": "owner"}
    )
    assert response.status_code == 302
    membership = ShopMembership.objects.get(shop=shop, user=person)
    assert membership.role == "owner"

    # The only owner cannot become staff: the shop would have no owner.
    response = admin_client.post(membership_change_url(membership), {"role": "staff"})
    assert "at least one owner" in _errors(response)
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_deleting_the_last_owner_is_refused_with_a_message(admin_client):
    membership = MembershipFactory(role="owner")

    response = admin_client.post(
        reverse("admin:shops_shopmembership_delete", args=[membership.pk]),
        {"post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert ShopMembership.objects.filter(pk=membership.pk).exists()


def test_bulk_delete_of_memberships_goes_through_the_services(admin_client):
    owner = MembershipFactory(role="owner")
    staff = MembershipFactory(shop=owner.shop, role="staff")
    action = {"action": "delete_selected", "post": "yes"}

    admin_client.post(MEMBERSHIP_CHANGELIST, {**action, "_selected_action": [staff.pk]})
    assert not ShopMembership.objects.filter(pk=staff.pk).exists()

    response = admin_client.post(
        MEMBERSHIP_CHANGELIST, {**action, "_selected_action": [owner.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert ShopMembership.objects.filter(pk=owner.pk).exists()


# --- The user page ----------------------------------------------------------------------


def test_user_page_lists_the_shops_of_a_member(admin_client):
    membership = MembershipFactory(shop=ShopFactory(name="Tea House"), role="staff")

    response = admin_client.get(reverse("admin:accounts_user_change", args=[membership.user.pk]))

    assert response.status_code == 200
    inlines = {fs.opts.model: fs for fs in response.context["inline_admin_formsets"]}
    rows = [form.instance for form in inlines[ShopMembership].formset.forms]
    assert rows == [membership]
    assert "Tea House" in response.content.decode()


def test_user_page_of_a_member_still_saves(admin_client):
    membership = MembershipFactory(role="owner")
    user = membership.user
    prefix = "shop_memberships"

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": user.email,
            "first_name": "Renamed",
            "last_name": user.last_name,
            "is_active": "on",
            "emailaddress_set-TOTAL_FORMS": "0",
            "emailaddress_set-INITIAL_FORMS": "0",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": membership.pk,
            f"{prefix}-0-user": user.pk,
        },
    )

    assert response.status_code == 302, response.context["errors"]
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    membership.refresh_from_db()
    assert membership.role == "owner"


# --- Who may open the admin -------------------------------------------------------------


@pytest.mark.parametrize("url", [SHOP_CHANGELIST, MEMBERSHIP_CHANGELIST, SHOP_ADD])
def test_non_staff_users_cannot_get_in(client, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_cannot_run_the_deactivate_action(client):
    client.force_login(UserFactory())
    shop = ShopFactory()

    client.post(SHOP_CHANGELIST, {"action": "deactivate_shops", "_selected_action": [shop.pk]})

    shop.refresh_from_db()
    assert shop.is_active is True


def test_staff_without_permissions_is_refused(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(SHOP_CHANGELIST).status_code == 403
