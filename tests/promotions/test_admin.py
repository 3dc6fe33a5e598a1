"""Promotions in the admin: made and changed through the services, codes generated and
exported as CSV, each code's use listed, a shop's owners limited to their shop's, and
the dashboard's discount figures."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from promotions.models import Promotion, Voucher
from promotions.services import promotion_create
from tests.factories import MembershipFactory, ProductFactory, ShopFactory, UserFactory
from tests.promotions.helpers import code_promotion

pytestmark = pytest.mark.django_db

PROMOTIONS = reverse("admin:promotions_promotion_changelist")
ADD = reverse("admin:promotions_promotion_add")
CODES = reverse("admin:promotions_voucher_changelist")


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(**fields) -> dict:
    data = {
        "name": "Spring",
        "kind": "code",
        "reward": "percentage",
        "value": "15",
        "is_active": "on",
        "vouchers-TOTAL_FORMS": "1",
        "vouchers-INITIAL_FORMS": "0",
        "vouchers-MIN_NUM_FORMS": "0",
        "vouchers-MAX_NUM_FORMS": "200",
        "vouchers-0-code": "spring15",
        "vouchers-0-usage_limit": "",
    }
    data.update(fields)
    return data


def test_staff_make_a_platform_promotion_with_a_code(admin_client, admin_user):
    response = admin_client.post(ADD, form_data())

    assert response.status_code == 302, response.content.decode()[:2000]
    promotion = Promotion.objects.get()
    assert (promotion.shop, promotion.value, promotion.created_by) == (
        None,
        D("15.00"),
        admin_user,
    )
    assert list(promotion.vouchers.values_list("code", flat=True)) == ["SPRING15"]


def test_a_refused_promotion_shows_the_reason_beside_the_form(admin_client):
    response = admin_client.post(ADD, form_data(value="150"))

    assert response.status_code == 200
    assert "A percentage from 0 to 100." in response.content.decode()
    assert not Promotion.objects.exists()


def test_generating_and_exporting_codes(admin_client):
    promotion = code_promotion("NEWS")
    selected = {"_selected_action": [str(promotion.pk)]}

    form = admin_client.post(PROMOTIONS, {"action": "generate_codes", **selected})
    assert form.status_code == 200 and "Generate codes" in form.content.decode()
    done = admin_client.post(
        PROMOTIONS,
        {
            "action": "generate_codes",
            "apply": "1",
            "count": "25",
            "prefix": "nl-",
            "usage_limit": "1",
            **selected,
        },
    )
    assert done.status_code == 302
    assert "25 codes made" in messages_of(done)[0]
    codes = list(Voucher.objects.filter(promotion=promotion).exclude(code="NEWS"))
    assert len(codes) == 25 and len({c.code for c in codes}) == 25
    assert all(c.code.startswith("NL-") and c.usage_limit == 1 for c in codes)

    export = admin_client.post(PROMOTIONS, {"action": "export_codes", **selected})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "code" and len(rows) == 27
    assert {row[0] for row in rows[1:]} == {c.code for c in codes} | {"NEWS"}


def test_the_code_list_is_the_usage_report(admin_client):
    from tests.promotions.test_vouchers import add_code, checkout, fill_cart, shopper

    code_promotion("REPORT", reward="fixed", value="5.00")
    for _ in range(2):
        _user, api = shopper()
        fill_cart(api, ProductFactory(price="30.00"))
        assert add_code(api, "REPORT").status_code == 200
        assert checkout(api).status_code == 201

    page = admin_client.get(CODES)

    assert page.status_code == 200
    voucher = page.context["cl"].result_list[0]
    assert (voucher.orders, voucher.discount_given, voucher.revenue) == (
        2,
        D("10.00"),
        D("50.00"),
    )


def test_an_owner_runs_their_shops_promotions_only(client):
    ours, theirs = ShopFactory(name="Ours"), ShopFactory(name="Theirs")
    owner = MembershipFactory(shop=ours, role="owner").user
    mine = code_promotion("MINE", shop=ours)
    other = code_promotion("OTHER", shop=theirs)
    platform = code_promotion("PLATFORM")
    client.force_login(owner)

    listed = client.get(PROMOTIONS)
    assert [p.pk for p in listed.context["cl"].result_list] == [mine.pk]
    assert (
        client.get(reverse("admin:promotions_promotion_change", args=[other.pk])).status_code == 404
    )
    assert (
        client.get(reverse("admin:promotions_promotion_change", args=[platform.pk])).status_code
        == 404
    )
    product = ProductFactory(shop=ours)
    response = client.post(
        ADD, form_data(shop=str(ours.pk), products=[str(product.pk)], **{"vouchers-0-code": "OURS"})
    )
    assert response.status_code == 302
    made = Promotion.objects.get(vouchers__code="OURS")
    assert made.shop == ours and list(made.products.all()) == [product]
    # Another shop's shop field is refused by the form: only their shops are offered.
    refused = client.post(ADD, form_data(shop=str(theirs.pk), **{"vouchers-0-code": "NOPE"}))
    assert refused.status_code == 200
    assert not Voucher.objects.filter(code="NOPE").exists()


def test_a_shop_staff_member_who_is_no_owner_is_refused_by_the_service(client):
    shop = ShopFactory()
    member = MembershipFactory(shop=shop, role="staff").user
    client.force_login(member)

    response = client.post(ADD, form_data(shop=str(shop.pk), **{"vouchers-0-code": "STAFFS"}))

    assert response.status_code == 200
    assert "Only platform staff run the platform" in response.content.decode()
    assert not Promotion.objects.exists()


def test_the_dashboard_shows_the_discounts_given(admin_client):
    from orders.models import Order
    from orders.services import order_mark_paid
    from tests.promotions.test_vouchers import add_code, checkout, fill_cart, shopper

    promotion_create(
        shop=None, data={"name": "Five", "reward": "fixed", "value": "5", "code": "FIVE"}, by=None
    )
    _user, api = shopper()
    fill_cart(api, ProductFactory(price="40.00"))
    add_code(api, "FIVE")
    order_mark_paid(order=Order.objects.get(pk=checkout(api).json()["id"]))

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert 'data-discounts="5.00"' in page
