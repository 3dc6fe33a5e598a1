import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Address, User
from accounts.services import address_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USER_CHANGELIST = reverse("admin:accounts_user_changelist")
ADDRESS_CHANGELIST = reverse("admin:accounts_address_changelist")


def _address_data(**overrides) -> dict:
    return {
        "full_name": "Ada Lovelace",
        "line1": "12 St James's Square",
        "city": "London",
        "postal_code": "SW1Y 4JH",
        "country": "GB",
        **overrides,
    }


def _verified(user, verified: bool = True):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _listed(response) -> list:
    return list(response.context["cl"].result_list)


# --- Users: the list --------------------------------------------------------------------


@pytest.mark.parametrize("user_count", [3, 30])
def test_user_changelist_query_count_does_not_grow_with_users(
    admin_client, django_assert_max_num_queries, user_count
):
    for index in range(user_count):
        _verified(UserFactory(), verified=index % 2 == 0)

    with django_assert_max_num_queries(5):
        response = admin_client.get(USER_CHANGELIST)

    assert response.status_code == 200
    assert len(_listed(response)) == user_count + 1  # and the signed-in superuser


def test_user_changelist_shows_the_columns(admin_client):
    user = _verified(UserFactory(first_name="Grace", last_name="Hopper"))

    response = admin_client.get(USER_CHANGELIST)

    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.list_display[1:] == [
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "email_verified",
        "date_joined",
    ]
    content = response.content.decode()
    assert user.email in content
    assert "Grace" in content
    assert "Hopper" in content
    assert "column-email_verified" in content


def test_user_search_by_email_finds_the_user(admin_client):
    wanted = UserFactory(email="needle@example.com")
    UserFactory(email="hay@example.com")

    response = admin_client.get(USER_CHANGELIST, {"q": "needle@"})

    assert response.status_code == 200
    assert _listed(response) == [wanted]


def test_user_search_by_name_finds_the_user(admin_client):
    # A name no generated (Faker) name can collide with.
    wanted = UserFactory(first_name="Katherine", last_name="Quillfeatherby")
    UserFactory(first_name="Dorothy", last_name="Vaughan")

    response = admin_client.get(USER_CHANGELIST, {"q": "quillfeatherby"})

    assert _listed(response) == [wanted]


def test_email_verified_filter(admin_client):
    verified = _verified(UserFactory())
    unverified = _verified(UserFactory(), verified=False)
    without_address = UserFactory()
    # A verified address that is not the user's current one does not count.
    changed_email = UserFactory()
    EmailAddress.objects.create(user=changed_email, email="old@example.com", verified=True)

    yes = _listed(admin_client.get(USER_CHANGELIST, {"email_verified": "yes"}))
    no = _listed(admin_client.get(USER_CHANGELIST, {"email_verified": "no"}))

    assert verified in yes
    assert unverified not in yes
    assert without_address not in yes
    assert changed_email not in yes
    assert verified not in no
    assert {unverified, without_address, changed_email} <= set(no)
    assert yes[0].email_verified is True


def test_list_filters_include_active_staff_and_verified(admin_client):
    response = admin_client.get(USER_CHANGELIST)

    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert titles == ["is active", "is staff", "email verified"]


# --- Users: the deactivate action -------------------------------------------------------


def test_deactivate_action_deactivates_and_revokes_refresh_tokens(admin_client):
    target = UserFactory()
    other = UserFactory()
    target_tokens = [RefreshToken.for_user(target), RefreshToken.for_user(target)]
    other_token = RefreshToken.for_user(other)

    response = admin_client.post(
        USER_CHANGELIST,
        {"action": "deactivate_users", "_selected_action": [target.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Deactivated 1 user" in response.content.decode()
    target.refresh_from_db()
    other.refresh_from_db()
    assert target.is_active is False
    assert other.is_active is True
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True))
    assert blacklisted == {token["jti"] for token in target_tokens}
    assert other_token["jti"] not in blacklisted
    with pytest.raises(Exception, match="blacklisted"):
        target_tokens[0].check_blacklist()


def test_deactivate_action_handles_several_users(admin_client):
    users = UserFactory.create_batch(3)
    for user in users:
        RefreshToken.for_user(user)

    admin_client.post(
        USER_CHANGELIST,
        {"action": "deactivate_users", "_selected_action": [user.pk for user in users]},
    )

    for user in users:
        user.refresh_from_db()
        assert user.is_active is False
    assert BlacklistedToken.objects.filter(token__user__in=users).count() == 3


# --- Users: the change page -------------------------------------------------------------


def test_user_change_page_shows_email_and_address_inlines(admin_client):
    user = _verified(UserFactory())
    EmailAddress.objects.create(user=user, email="second@example.com", verified=False)
    address_create(user=user, data=_address_data(city="Cambridge"))

    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert response.status_code == 200
    inlines = {formset.opts.model: formset for formset in response.context["inline_admin_formsets"]}
    assert set(inlines) == {EmailAddress, Address}
    emails = {form.instance.email for form in inlines[EmailAddress].formset.forms}
    assert emails == {user.email, "second@example.com"}
    assert [form.instance.city for form in inlines[Address].formset.forms] == ["Cambridge"]
    content = response.content.decode()
    assert "second@example.com" in content
    assert "Cambridge" in content


def test_email_address_inline_lets_staff_verify_an_address(admin_client):
    user = _verified(UserFactory(), verified=False)
    address = EmailAddress.objects.get(user=user)
    change_url = reverse("admin:accounts_user_change", args=[user.pk])
    prefix = "emailaddress_set"
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": address.pk,
        f"{prefix}-0-user": user.pk,
        f"{prefix}-0-email": user.email,
        f"{prefix}-0-verified": "on",
        f"{prefix}-0-primary": "on",
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
    }

    response = admin_client.post(change_url, data)

    assert response.status_code == 302, response.context["errors"]
    address.refresh_from_db()
    assert address.verified is True


def test_staff_can_add_a_user(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Example.com",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
            "usable_password": "true",
            "emailaddress_set-TOTAL_FORMS": "0",
            "emailaddress_set-INITIAL_FORMS": "0",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(email="new.person@example.com")
    assert created.check_password("a-long-enough-passphrase-42")


# --- Who may open the admin -------------------------------------------------------------


def test_non_staff_user_cannot_open_the_user_admin(client):
    client.force_login(UserFactory())

    response = client.get(USER_CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_cannot_open_the_user_admin(client):
    response = client.get(USER_CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_is_refused(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(USER_CHANGELIST).status_code == 403


def test_non_staff_cannot_run_the_deactivate_action(client):
    client.force_login(UserFactory())
    target = UserFactory()

    client.post(USER_CHANGELIST, {"action": "deactivate_users", "_selected_action": [target.pk]})

    target.refresh_from_db()
    assert target.is_active is True


# --- Addresses --------------------------------------------------------------------------


@pytest.mark.parametrize("address_count", [3, 30])
def test_address_changelist_query_count_does_not_grow(
    admin_client, django_assert_max_num_queries, address_count
):
    for index in range(address_count):
        address_create(user=UserFactory(), data=_address_data(city=f"City {index}"))

    with django_assert_max_num_queries(5):
        response = admin_client.get(ADDRESS_CHANGELIST)

    assert response.status_code == 200
    assert len(_listed(response)) == address_count


def test_address_changelist_lists_user_email_city_country_default(admin_client):
    user = UserFactory(email="owner@example.com")
    address_create(user=user, data=_address_data(city="Leeds"))

    response = admin_client.get(ADDRESS_CHANGELIST, {"q": "owner@example.com"})

    cl = response.context["cl"]
    assert cl.list_display[1:] == ["full_name", "user_email", "city", "country", "is_default"]
    content = response.content.decode()
    assert "owner@example.com" in content
    assert "Leeds" in content


def test_address_added_in_admin_goes_through_the_address_book_rules(admin_client):
    user = UserFactory()
    first = address_create(user=user, data=_address_data(city="York"))
    post = {**_address_data(city="Bath"), "user": user.pk, "line2": "", "region": "", "phone": ""}

    response = admin_client.post(reverse("admin:accounts_address_add"), post)

    assert response.status_code == 302
    added = Address.objects.get(user=user, city="Bath")
    first.refresh_from_db()
    assert first.is_default is True  # the first address stays the default
    assert added.is_default is False


def test_address_deleted_in_admin_hands_default_to_the_next(admin_client):
    user = UserFactory()
    default = address_create(user=user, data=_address_data(city="York"))
    other = address_create(user=user, data=_address_data(city="Bath"))

    response = admin_client.post(
        reverse("admin:accounts_address_delete", args=[default.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.is_default is True


def test_make_default_action(admin_client):
    user = UserFactory()
    default = address_create(user=user, data=_address_data(city="York"))
    other = address_create(user=user, data=_address_data(city="Bath"))

    admin_client.post(
        ADDRESS_CHANGELIST, {"action": "make_default", "_selected_action": [other.pk]}
    )

    default.refresh_from_db()
    other.refresh_from_db()
    assert (default.is_default, other.is_default) == (False, True)
