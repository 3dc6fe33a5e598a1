"""The shop's own account pages: overview, profile and preferences, address book, account
deletion. Django's test client, signed in with `force_login` unless a test says otherwise."""

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import Address, User
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def make_address(user, **data) -> Address:
    values = {"full_name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London"}
    values |= {"country": "GB", **data}
    return services.address_create(user=user, data=values)


ADDRESS_FORM = {
    "full_name": "Grace Hopper",
    "line1": "1 Navy Way",
    "line2": "",
    "city": "Arlington",
    "region": "VA",
    "postal_code": "22202",
    "country": "US",
    "phone": "+1 555 0100",
}


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Overview -----------------------------------------------------------------------------


def test_overview_shows_name_email_roles_and_asks_to_verify(signed_in, user):
    response = signed_in.get(reverse("accounts:overview"))

    html = response.content.decode()
    assert response.status_code == 200
    assert user.get_full_name() in html
    assert user.email in html
    assert "Not verified" in html
    assert f'href="{reverse("account_email")}"' in html  # resend the verification mail
    assert "Customer" in html
    for name in ("accounts:profile", "accounts:addresses", "accounts:delete"):
        assert f'href="{reverse(name)}"' in html
    assert f'href="{reverse("account_change_password")}"' in html


def test_overview_of_a_verified_staff_member(client):
    staff = StaffFactory()
    EmailAddress.objects.create(user=staff, email=staff.email, primary=True, verified=True)
    client.force_login(staff)

    html = client.get(reverse("accounts:overview")).content.decode()

    assert "Verified" in html and "Not verified" not in html
    assert "send the verification mail again" not in html
    assert "Customer, Platform staff" in html


# --- Profile and preferences --------------------------------------------------------------


def test_profile_form_starts_from_the_stored_values(signed_in, user):
    response = signed_in.get(reverse("accounts:profile"))

    form = response.context["form"]
    assert form.initial["first_name"] == user.first_name
    assert form.initial["order_updates"] is True
    assert form.initial["marketing_emails"] is False


def test_profile_update_saves_names_and_both_preferences(signed_in, user):
    response = signed_in.post(
        reverse("accounts:profile"),
        {"first_name": "  Ada ", "last_name": "Lovelace", "marketing_emails": "on"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("accounts:profile")
    assert "Your profile has been saved." in page_messages(response)
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.marketing_emails is True
    assert user.order_updates is False  # an unticked box is a "no"


def test_profile_rejects_a_name_that_is_too_long(signed_in, user):
    response = signed_in.post(reverse("accounts:profile"), {"first_name": "x" * 151})

    assert response.status_code == 200
    assert response.context["form"].errors["first_name"]
    user.refresh_from_db()
    assert user.first_name != "x" * 151


# --- Address book -------------------------------------------------------------------------


def test_an_empty_address_book_says_so(signed_in):
    response = signed_in.get(reverse("accounts:addresses"))

    assert b"No addresses yet" in response.content
    assert reverse("accounts:address_add").encode() in response.content


def test_adding_the_first_address_makes_it_the_default(signed_in, user):
    form_page = signed_in.get(reverse("accounts:address_add"))
    assert "is_default" not in form_page.context["form"].fields

    response = signed_in.post(reverse("accounts:address_add"), ADDRESS_FORM, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:addresses")
    assert "The address has been added." in page_messages(response)
    address = user.addresses.get()
    assert (address.full_name, address.city, address.country.code) == (
        "Grace Hopper",
        "Arlington",
        "US",
    )
    assert address.is_default
    assert b"Default shipping address" in response.content
    assert b"Grace Hopper" in response.content


def test_adding_an_address_marked_default_moves_the_default(signed_in, user):
    first = make_address(user)

    signed_in.post(reverse("accounts:address_add"), {**ADDRESS_FORM, "is_default": "on"})

    first.refresh_from_db()
    assert not first.is_default
    assert user.addresses.get(is_default=True).full_name == "Grace Hopper"


def test_an_incomplete_address_is_refused_with_field_errors(signed_in, user):
    response = signed_in.post(
        reverse("accounts:address_add"), {**ADDRESS_FORM, "city": "", "country": "XX"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"city", "country"}
    assert b'class="errorlist' in response.content
    assert not user.addresses.exists()


def test_editing_an_address(signed_in, user):
    address = make_address(user)
    other = make_address(user, full_name="Charles Babbage")

    page = signed_in.get(reverse("accounts:address_edit", args=[address.pk]))
    assert page.context["form"].initial["full_name"] == "Ada Lovelace"
    # The default address cannot be unset from its own form, only replaced.
    assert "is_default" not in page.context["form"].fields
    assert "is_default" in (
        signed_in.get(reverse("accounts:address_edit", args=[other.pk])).context["form"].fields
    )

    response = signed_in.post(
        reverse("accounts:address_edit", args=[address.pk]),
        {**ADDRESS_FORM, "full_name": "Ada King", "country": "GB"},
    )

    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.full_name, address.city, address.country.code) == (
        "Ada King",
        "Arlington",
        "GB",
    )
    assert address.is_default


def test_make_default_moves_the_default_and_needs_post(signed_in, user):
    first = make_address(user)
    second = make_address(user, full_name="Charles Babbage")
    url = reverse("accounts:address_default", args=[second.pk])

    assert signed_in.get(url).status_code == 405

    response = signed_in.post(url, follow=True)

    assert "Your default address has been changed." in page_messages(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    assert response.context["addresses"][0] == second  # the default is listed first


def test_deleting_an_address_asks_first_then_promotes_another_default(signed_in, user):
    older = make_address(user, full_name="Charles Babbage")
    default = make_address(user, is_default=True)
    url = reverse("accounts:address_delete", args=[default.pk])

    confirm = signed_in.get(url)
    assert confirm.status_code == 200
    assert b"Delete this address?" in confirm.content
    assert Address.objects.filter(pk=default.pk).exists()

    response = signed_in.post(url, follow=True)

    assert "The address has been deleted." in page_messages(response)
    assert not Address.objects.filter(pk=default.pk).exists()
    older.refresh_from_db()
    assert older.is_default


def test_another_persons_address_is_not_found(signed_in):
    stranger = UserFactory()
    theirs = make_address(stranger)

    assert signed_in.get(reverse("accounts:address_edit", args=[theirs.pk])).status_code == 404
    edit = signed_in.post(reverse("accounts:address_edit", args=[theirs.pk]), ADDRESS_FORM)
    assert edit.status_code == 404
    delete = signed_in.post(reverse("accounts:address_delete", args=[theirs.pk]))
    assert delete.status_code == 404
    default = signed_in.post(reverse("accounts:address_default", args=[theirs.pk]))
    assert default.status_code == 404

    theirs.refresh_from_db()
    assert theirs.full_name == "Ada Lovelace"
    assert theirs.user == stranger
    assert b"Ada Lovelace" not in signed_in.get(reverse("accounts:addresses")).content


@pytest.mark.parametrize("count", [1, 25])
def test_the_address_list_asks_the_same_few_queries_however_long_it_is(
    signed_in, user, count, django_assert_max_num_queries
):
    for index in range(count):
        make_address(user, full_name=f"Person {index}")

    # Session user, the addresses, the header's cart count and its bell's unread count
    # (cached after a first page).
    with django_assert_max_num_queries(5):
        response = signed_in.get(reverse("accounts:addresses"))

    assert len(response.context["addresses"]) == count


def test_address_changes_need_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    address = make_address(user)

    assert client.post(reverse("accounts:address_add"), ADDRESS_FORM).status_code == 403
    assert client.post(reverse("accounts:address_delete", args=[address.pk])).status_code == 403
    assert user.addresses.count() == 1


# --- Deleting the account -----------------------------------------------------------------


def test_account_delete_with_a_wrong_password_changes_nothing(signed_in, user):
    make_address(user)

    response = signed_in.post(reverse("accounts:delete"), {"password": "not-my-password"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["The password is not correct."]
    user.refresh_from_db()
    assert user.is_active and user.erased_at is None
    assert user.addresses.count() == 1
    assert signed_in.get(reverse("accounts:overview")).status_code == 200


def test_account_delete_erases_the_person_and_signs_out(signed_in, user):
    email = user.email
    make_address(user)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)

    response = signed_in.post(
        reverse("accounts:delete"), {"password": DEFAULT_PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your account has been deleted. Goodbye!" in page_messages(response)
    assert "_auth_user_id" not in signed_in.session
    user.refresh_from_db()
    assert user.email == f"erased-{user.pk}@erased.invalid"
    assert not user.is_active and user.erased_at is not None
    assert not Address.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(email=email).exists()
    assert not User.objects.filter(email=email).exists()

    elsewhere = Client()
    login = elsewhere.post(reverse("account_login"), {"login": email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200
    assert "_auth_user_id" not in elsewhere.session


def test_a_person_without_a_password_is_sent_to_set_one_before_deleting(client):
    social_only = UserFactory()
    social_only.set_unusable_password()
    social_only.save()
    client.force_login(social_only)

    page = client.get(reverse("accounts:delete"))
    assert reverse("account_set_password").encode() in page.content

    response = client.post(reverse("accounts:delete"), {"password": "anything-at-all"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    social_only.refresh_from_db()
    assert social_only.is_active
