"""Low-stock alerts: one email to the shop's owners each time a variant's stock falls
below the shop's threshold, not one per sale."""

import pytest
from django.core import mail
from django.db.models import F

from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product, ProductVariant
from catalog.services import product_update, variants_low_stock_check
from orders.services import order_cancel, order_place
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)
from tests.perf.helpers import task_callbacks

pytestmark = pytest.mark.django_db


def low_stock_mails():
    return [message for message in mail.outbox if message.subject.startswith("Low stock at")]


@pytest.fixture
def shop():
    shop = ShopFactory(name="Alpha Audio")
    for email in ("ann@alpha.example", "bob@alpha.example"):
        MembershipFactory(shop=shop, user=UserFactory(email=email), role="owner")
    MembershipFactory(shop=shop, user=UserFactory(email="clerk@alpha.example"), role="staff")
    return shop


@pytest.fixture
def other_shop():
    shop = ShopFactory(name="Beta Books")
    MembershipFactory(shop=shop, user=UserFactory(email="owner@beta.example"), role="owner")
    return shop


@pytest.fixture
def buyer():
    return verify_email(UserFactory())


def buy(buyer, *products_and_quantities):
    cart = cart_get_for_user(user=buyer)
    for product, quantity in products_and_quantities:
        cart_add_item(cart=cart, product=product, quantity=quantity)
    return order_place(user=buyer, cart=cart, shipping_address=address_data())


# --- Through checkout and cancellation (orders.services calls the catalog) -------------


def test_ten_sales_below_the_threshold_send_one_email_to_the_owners(
    shop, other_shop, buyer, django_capture_on_commit_callbacks
):
    shop.low_stock_threshold = 12
    shop.save()
    lamp = ProductFactory(shop=shop, name="Brass Lamp", sku="LAMP-1", stock_quantity=12)
    book = ProductFactory(shop=other_shop, stock_quantity=50)

    for _sale in range(10):  # each checkout commits on its own
        with django_capture_on_commit_callbacks(execute=True):
            buy(buyer, (lamp, 1), (book, 1))

    assert Product.objects.get(pk=lamp.pk).stock_quantity == 2
    [alert] = low_stock_mails()
    assert sorted(alert.to) == ["ann@alpha.example", "bob@alpha.example"]
    assert alert.subject == "Low stock at Alpha Audio: Brass Lamp"
    assert "Brass Lamp (SKU LAMP-1): 11 left" in alert.body  # the stock when it was sent
    assert "fell below 12" in alert.body
    html = alert.alternatives[0][0]
    assert "Brass Lamp" in html and "11 left" in html


def test_the_default_threshold_is_five_and_five_is_not_below_it(
    shop, buyer, django_capture_on_commit_callbacks
):
    lamp = ProductFactory(shop=shop, stock_quantity=6)

    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 1))
    assert low_stock_mails() == []

    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 1))
    assert len(low_stock_mails()) == 1


def test_restocking_then_falling_again_sends_a_second_email(
    shop, buyer, django_capture_on_commit_callbacks
):
    owner = shop.memberships.filter(role="owner").first().user
    lamp = ProductFactory(shop=shop, stock_quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 2))
        buy(buyer, (lamp, 1))
    assert len(low_stock_mails()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        product_update(
            user=owner, product=Product.objects.get(pk=lamp.pk), data={"stock_quantity": 8}
        )
    assert variant_of(lamp).low_stock_notified_at is None

    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 3))
        buy(buyer, (lamp, 1))
    assert len(low_stock_mails()) == 2


def test_a_restock_that_stays_below_the_threshold_sends_nothing_new(
    shop, buyer, django_capture_on_commit_callbacks
):
    owner = shop.memberships.filter(role="owner").first().user
    lamp = ProductFactory(shop=shop, stock_quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 3))
        product_update(
            user=owner, product=Product.objects.get(pk=lamp.pk), data={"stock_quantity": 4}
        )
        buy(buyer, (lamp, 1))
    assert len(low_stock_mails()) == 1


def test_a_cancelled_order_that_restocks_resets_the_alert(
    shop, buyer, django_capture_on_commit_callbacks
):
    lamp = ProductFactory(shop=shop, stock_quantity=6)
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(buyer, (lamp, 3))
    assert len(low_stock_mails()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=buyer)
    lamp.refresh_from_db()
    assert lamp.stock_quantity == 6 and variant_of(lamp).low_stock_notified_at is None

    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 2))
    assert len(low_stock_mails()) == 2


def test_each_shop_gets_one_email_listing_only_its_own_products(
    shop, other_shop, buyer, django_capture_on_commit_callbacks
):
    lamp = ProductFactory(shop=shop, name="Lamp", stock_quantity=5)
    cable = ProductFactory(shop=shop, name="Cable", stock_quantity=5)
    book = ProductFactory(shop=other_shop, name="Novel", stock_quantity=5)
    plenty = ProductFactory(shop=shop, name="Plenty", stock_quantity=100)

    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 1), (cable, 2), (book, 1), (plenty, 1))

    alerts = {tuple(sorted(message.to)): message for message in low_stock_mails()}
    assert set(alerts) == {("ann@alpha.example", "bob@alpha.example"), ("owner@beta.example",)}
    alpha = alerts[("ann@alpha.example", "bob@alpha.example")]
    assert alpha.subject == "Low stock at Alpha Audio: 2 products"
    assert "Lamp" in alpha.body and "Cable" in alpha.body
    assert "Novel" not in alpha.body and "Plenty" not in alpha.body
    beta = alerts[("owner@beta.example",)]
    assert "Novel" in beta.body and "Lamp" not in beta.body


def test_other_shops_owners_and_shop_staff_get_nothing(
    shop, other_shop, buyer, django_capture_on_commit_callbacks
):
    lamp = ProductFactory(shop=shop, stock_quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (lamp, 1))
    recipients = {address for message in low_stock_mails() for address in message.to}
    assert recipients == {"ann@alpha.example", "bob@alpha.example"}


# --- The catalog service on its own -----------------------------------------------------


def variant_of(product):
    return ProductVariant.objects.get(product=product)


def sell(product, quantity=1):
    variant = variant_of(product)
    ProductVariant.objects.filter(pk=variant.pk).update(
        stock_quantity=F("stock_quantity") - quantity
    )
    return variants_low_stock_check(variant_ids=[variant.pk])


def test_the_check_marks_once_and_answers_what_it_queued(shop, django_capture_on_commit_callbacks):
    lamp = ProductFactory(shop=shop, stock_quantity=6)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sell(lamp) == {}
        assert sell(lamp) == {shop.pk: [variant_of(lamp).pk]}
        assert sell(lamp) == {}
    assert len(task_callbacks(callbacks)) == 1
    assert variant_of(lamp).low_stock_notified_at is not None
    assert len(low_stock_mails()) == 1


def test_no_email_leaves_before_the_transaction_commits(shop, django_capture_on_commit_callbacks):
    lamp = ProductFactory(shop=shop, stock_quantity=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        variants_low_stock_check(variant_ids=[variant_of(lamp).pk])
    assert len(task_callbacks(callbacks)) == 1 and low_stock_mails() == []


def test_deleted_products_and_shops_without_owners_send_nothing(
    django_capture_on_commit_callbacks,
):
    ownerless = ProductFactory(stock_quantity=1)
    gone = ProductFactory(stock_quantity=1)
    ProductVariant.objects.filter(product=gone).update(deleted_at=ownerless.created_at)
    with django_capture_on_commit_callbacks(execute=True):
        variants_low_stock_check(variant_ids=[variant_of(ownerless).pk, variant_of(gone).pk])
    assert low_stock_mails() == []
    assert variant_of(gone).low_stock_notified_at is None


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_checks_at_the_same_moment_send_one_email():
    import threading

    from django.db import connection, transaction

    shop = ShopFactory()
    MembershipFactory(shop=shop, role="owner")
    lamp = variant_of(ProductFactory(shop=shop, stock_quantity=3))
    barrier = threading.Barrier(2)
    answers = []

    def check():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                answers.append(variants_low_stock_check(variant_ids=[lamp.pk]))
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answers, key=len) == [{}, {shop.pk: [lamp.pk]}]
    assert len(low_stock_mails()) == 1
