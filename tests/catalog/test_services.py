"""Catalog rules: who may change products, SKUs, tags, soft delete, reviews and ratings,
categories."""

from decimal import Decimal

import pytest

from catalog.exceptions import AlreadyReviewed, ReviewNotAllowed
from catalog.models import Product, Tag
from catalog.selectors import (
    category_ancestors,
    category_descendant_ids,
    category_tree,
    product_list_public,
    product_list_visible,
)
from catalog.services import (
    category_create,
    category_delete,
    category_update,
    product_create,
    product_soft_delete,
    product_update,
    products_set_active,
    register_purchase_checker,
    review_create,
    review_delete,
    review_update,
    tags_get_or_create,
)
from core.errors import DomainValidationError
from shops.exceptions import ShopPermissionDenied
from shops.services import shop_deactivate
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    set_stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(role="staff")


def create(member, **data):
    return product_create(
        user=member.user,
        shop=member.shop,
        data={"name": "Lamp", "price": "25.50", "stock_quantity": 3, **data},
    )


def test_a_shop_member_creates_a_product_with_tags_and_a_generated_sku(member):
    product = create(member, tags=["Lighting", " lighting ", "Desk"], description="Warm light")
    assert product.price == Decimal("25.50")
    assert product.sku.startswith(member.shop.slug[:12].upper())
    assert product.slug == "lamp"
    assert sorted(product.tags.values_list("name", flat=True)) == ["Desk", "Lighting"]
    assert create(member, sku="LAMP-2").slug == "lamp-2"


def test_tags_are_matched_case_insensitively_and_new_names_are_created():
    existing = Tag.objects.create(name="Eco", slug="eco")
    tags = tags_get_or_create(names=["ECO", "Hand  made", ""])
    assert tags[0] == existing
    assert tags[1].name == "Hand made" and tags[1].slug == "hand-made"


def test_members_of_another_shop_and_customers_may_not_create_or_change(member):
    stranger = MembershipFactory(role="owner")
    with pytest.raises(ShopPermissionDenied):
        product_create(user=stranger.user, shop=member.shop, data={"name": "X", "price": 1})
    product = create(member)
    with pytest.raises(ShopPermissionDenied):
        product_update(user=UserFactory(), product=product, data={"price": "1.00"})
    with pytest.raises(ShopPermissionDenied):
        product_soft_delete(user=stranger.user, product=product)
    # Platform staff may.
    staff = StaffFactory()
    assert product_update(user=staff, product=product, data={"price": 9}).price == Decimal("9.00")


@pytest.mark.parametrize("price", ["-0.01", "abc", "NaN", None])
def test_a_bad_price_is_a_validation_error(member, price):
    with pytest.raises(DomainValidationError) as error:
        create(member, price=price)
    assert "price" in error.value.extra["fields"]
    assert not Product.objects.exists()


def test_skus_are_unique_per_shop_but_not_across_shops(member):
    create(member, sku="A-1")
    with pytest.raises(DomainValidationError) as error:
        create(member, sku="A-1")
    assert "sku" in error.value.extra["fields"]
    other = MembershipFactory()
    assert product_create(
        user=other.user, shop=other.shop, data={"name": "L", "price": 1, "sku": "A-1"}
    )
    second = create(member, sku="B-1")
    with pytest.raises(DomainValidationError):
        product_update(user=member.user, product=second, data={"sku": "A-1"})


def test_a_soft_deleted_product_frees_its_sku_and_leaves_every_listing(member):
    product = create(member, sku="GONE")
    product_soft_delete(user=member.user, product=product)
    product.refresh_from_db()
    assert product.deleted_at is not None and not product.is_active
    assert not product_list_public().filter(pk=product.pk).exists()
    assert not product_list_visible(user=member.user).filter(pk=product.pk).exists()
    assert not product_list_visible(user=StaffFactory()).filter(pk=product.pk).exists()
    assert create(member, sku="GONE").sku == "GONE"
    assert Product.objects.filter(pk=product.pk).exists()  # kept for orders


def test_inactive_products_and_shops_are_visible_to_members_and_staff_only(member):
    hidden = create(member, is_active=False)
    shown = create(member)
    outsider = UserFactory()
    assert list(product_list_public()) == [shown]
    assert list(product_list_visible(user=outsider)) == [shown]
    assert set(product_list_visible(user=member.user)) == {hidden, shown}

    shop_deactivate(shop=member.shop)
    assert not product_list_public().exists()
    assert set(product_list_visible(user=member.user)) == {hidden, shown}
    assert products_set_active(products=[hidden], is_active=True) == 1


# --- Reviews ---------------------------------------------------------------------------


def test_reviews_set_the_rating_and_one_per_person():
    product = ProductFactory()
    first, second = UserFactory(), UserFactory()
    review_create(user=first, product=product, rating=5, title=" Great ")
    review = review_create(user=second, product=product, rating=2)
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("3.50"), 2)

    with pytest.raises(AlreadyReviewed):
        review_create(user=first, product=product, rating=1)

    review_update(user=second, review=review, data={"rating": 4})
    product.refresh_from_db()
    assert product.rating_average == Decimal("4.50")

    review_delete(user=StaffFactory(), review=review)
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)


@pytest.mark.parametrize("rating", [0, 6, "5", 4.5, True])
def test_a_rating_outside_one_to_five_stars_is_refused(rating):
    with pytest.raises(DomainValidationError) as error:
        review_create(user=UserFactory(), product=ProductFactory(), rating=rating)
    assert "rating" in error.value.extra["fields"]


def test_shop_members_may_not_review_their_own_products(member):
    product = create(member)
    with pytest.raises(ReviewNotAllowed):
        review_create(user=member.user, product=product, rating=5)


def test_only_the_author_or_staff_change_a_review():
    review = review_create(user=UserFactory(), product=ProductFactory(), rating=3)
    with pytest.raises(ShopPermissionDenied):
        review_update(user=UserFactory(), review=review, data={"rating": 1})
    with pytest.raises(ShopPermissionDenied):
        review_delete(user=UserFactory(), review=review)


def test_a_review_is_a_verified_purchase_when_an_order_says_so():
    product = ProductFactory()
    buyer = UserFactory()

    def bought(user, item):
        return user == buyer and item == product

    register_purchase_checker(bought)
    try:
        assert review_create(user=buyer, product=product, rating=4).verified_purchase
        assert not review_create(user=UserFactory(), product=product, rating=4).verified_purchase
    finally:
        from catalog.services import reviews

        reviews._purchase_checkers.remove(bought)


# --- Categories ------------------------------------------------------------------------


def test_the_category_tree_and_descendants(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        home = category_create(data={"name": "Home"})
        kitchen = category_create(data={"name": "Kitchen", "parent": home})
        knives = category_create(data={"name": "Knives", "parent": kitchen})
        garden = category_create(data={"name": "Garden"})
    tree = category_tree()
    assert [node["name"] for node in tree] == ["Garden", "Home"]
    assert tree[1]["children"][0]["children"][0]["slug"] == "knives"
    assert sorted(category_descendant_ids("home")) == sorted([home.pk, kitchen.pk, knives.pk])
    assert category_descendant_ids(str(garden.pk)) == [garden.pk]
    assert category_descendant_ids("nope") == []
    assert [node["name"] for node in category_ancestors(knives.pk)] == ["Home", "Kitchen", "Knives"]


def test_the_cached_tree_changes_when_a_category_changes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        home = category_create(data={"name": "Home"})
    assert [node["name"] for node in category_tree()] == ["Home"]
    with django_capture_on_commit_callbacks(execute=True):
        category_update(category=home, data={"name": "House"})
    assert [node["name"] for node in category_tree()] == ["House"]


def test_a_category_cannot_move_below_itself_or_be_deleted_with_children():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    with pytest.raises(DomainValidationError):
        category_update(category=root, data={"parent": child})
    with pytest.raises(DomainValidationError):
        category_delete(category=root)
    product = ProductFactory(category=child)
    category_delete(category=child)
    product.refresh_from_db()
    assert product.category is None


def test_an_update_writes_only_the_fields_it_was_given(member):
    product = create(member, price="10.00")
    stale = Product.objects.get(pk=product.pk)
    set_stock(product, 1)  # a sale meanwhile
    product_update(user=member.user, product=stale, data={"price": "12.00"})
    fresh = Product.objects.get(pk=product.pk)
    assert fresh.price == Decimal("12.00")
    assert fresh.stock_quantity == 1
