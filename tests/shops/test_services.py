import pytest
from django.core.exceptions import ValidationError

from accounts.roles import user_roles
from catalog.policies import may_manage_products
from core.errors import DomainValidationError
from shops.exceptions import LastOwner, ShopPermissionDenied
from shops.models import ShopMembership
from shops.selectors import (
    shop_list,
    shop_owner_emails,
    user_shop_ids,
)
from shops.services import (
    membership_add,
    membership_remove,
    shop_create,
    shop_deactivate,
    shop_update,
)
from tests.factories import (
    MembershipFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db


def test_opening_a_shop_makes_the_caller_its_owner():
    owner = UserFactory()
    shop = shop_create(owner=owner, data={"name": "  Tea House ", "description": "Leaves"})
    assert shop.name == "Tea House"
    assert shop.slug == "tea-house"
    assert ShopMembership.objects.get(shop=shop).user == owner
    assert user_roles(owner) == ["customer", "shop_owner"]
    second = shop_create(owner=UserFactory(), data={"name": "Tea House"})
    assert second.slug == "tea-house-2"


def test_a_shop_needs_a_name_and_a_valid_email():
    with pytest.raises(DomainValidationError) as error:
        shop_create(owner=UserFactory(), data={"name": "  "})
    assert "name" in error.value.extra["fields"]
    shop = ShopFactory()
    with pytest.raises(ValidationError):
        shop_update(shop=shop, data={"email": "not-an-email"})


def test_deactivated_shops_are_hidden_except_from_members_and_staff():
    member = UserFactory()
    shop = MembershipFactory(user=member, role="staff").shop
    open_shop = ShopFactory()
    shop_deactivate(shop=shop)
    assert list(shop_list()) == [open_shop]
    assert set(shop_list(user=member)) == {shop, open_shop}
    assert set(shop_list(user=StaffFactory())) == {shop, open_shop}
    assert list(shop_list(user=UserFactory())) == [open_shop]


def test_owners_add_and_remove_staff_by_email():
    owner = MembershipFactory(role="owner")
    shop, by = owner.shop, owner.user
    person = verify_email(UserFactory(email="helper@example.com"))
    membership = membership_add(shop=shop, email="HELPER@example.com", by=by)
    assert membership.user == person and membership.role == "staff"
    assert user_roles(person) == ["customer", "shop_staff"]
    assert user_shop_ids(user=person) == {shop.pk}
    assert may_manage_products(person, shop)

    # Adding again changes the role instead of duplicating.
    promoted = membership_add(shop=shop, email=person.email, role="owner", by=by)
    assert promoted.pk == membership.pk and promoted.role == "owner"
    assert sorted(email for email, _language in shop_owner_emails(shop_id=shop.pk)) == sorted(
        [by.email, person.email]
    )

    membership_remove(membership=promoted, by=by)
    assert not may_manage_products(person, shop)


def test_staff_members_cannot_add_people_and_unknown_addresses_are_refused():
    staff_member = MembershipFactory(role="staff")
    with pytest.raises(ShopPermissionDenied):
        membership_add(shop=staff_member.shop, email=UserFactory().email, by=staff_member.user)
    owner = MembershipFactory(shop=staff_member.shop, role="owner").user
    with pytest.raises(DomainValidationError) as error:
        membership_add(shop=staff_member.shop, email="nobody@example.com", by=owner)
    assert "email" in error.value.extra["fields"]
    with pytest.raises(DomainValidationError):
        membership_add(shop=staff_member.shop, email=UserFactory().email, role="boss", by=owner)


def test_the_last_owner_cannot_leave_or_be_demoted():
    owner = MembershipFactory(role="owner")
    with pytest.raises(LastOwner):
        membership_remove(membership=owner, by=owner.user)
    with pytest.raises(LastOwner):
        membership_add(shop=owner.shop, email=owner.user.email, role="staff", by=owner.user)
    assert ShopMembership.objects.get(pk=owner.pk).role == "owner"


def test_a_member_may_leave_but_not_remove_others():
    staff_member = MembershipFactory(role="staff")
    other = MembershipFactory(shop=staff_member.shop, role="staff")
    with pytest.raises(ShopPermissionDenied):
        membership_remove(membership=other, by=staff_member.user)
    membership_remove(membership=staff_member, by=staff_member.user)
    assert not ShopMembership.objects.filter(pk=staff_member.pk).exists()


def test_the_users_list_asks_for_roles_once(django_assert_num_queries):
    from accounts.selectors import user_list

    for index in range(5):
        MembershipFactory(role="owner" if index % 2 else "staff")
    with django_assert_num_queries(1):
        roles = [user_roles(user) for user in user_list()]
    assert ["customer", "shop_owner"] in roles and ["customer", "shop_staff"] in roles
