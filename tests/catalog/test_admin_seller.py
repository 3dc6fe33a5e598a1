"""The catalog admin for shop members who are not platform staff: they see and change
their shop's products and images, and nothing of other shops; categories, tags and
reviews stay with platform staff.

People (tests/catalog/conftest.py): shop A (Alpha Audio) has an owner and a staff member
(`clerk_a`), shop B (Beta Books) an owner; none of them is platform staff.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import Product, ProductImage
from catalog.selectors import product_list_public, product_search
from catalog.services import products_set_active
from shops.exceptions import ShopPermissionDenied
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ReviewFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT_CHANGELIST = reverse("admin:catalog_product_changelist")
PRODUCT_ADD = reverse("admin:catalog_product_add")
AUTOCOMPLETE = reverse("admin:autocomplete")


def change_url(product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def signed_in(client):
    """`signed_in(user)`: the test's client, signed in to the admin as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def product_a(shop_a):
    return ProductFactory(shop=shop_a, name="Amp", stock_quantity=4)


@pytest.fixture
def product_b(shop_b):
    return ProductFactory(shop=shop_b, name="Bookend", stock_quantity=7)


def _listed(response) -> list:
    return list(response.context["cl"].result_list)


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _product_post(product=None, images=(), **overrides) -> dict:
    """The product form as the browser posts it; `images` are rows of the images inline."""
    data = {
        "name": product.name if product else "Tube Amp",
        "category": (product.category_id or "") if product else "",
        "tags": [tag.pk for tag in product.tags.all()] if product else [],
        "description": product.description if product else "Warm sound.",
        "price": str(product.price) if product else "250.00",
        "sku": product.sku if product else "",
        "stock_quantity": str(product.stock_quantity) if product else "2",
        "is_active": "on" if product is None or product.is_active else None,
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": str(sum(1 for row in images if "id" in row)),
    }
    for index, row in enumerate(images):
        for key, value in row.items():
            data[f"images-{index}-{key}"] = value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Who sees which products -----------------------------------------------------------


@pytest.mark.parametrize("person", ["owner_a", "clerk_a"])
def test_shop_members_see_only_their_shops_products(request, signed_in, person, product_a):
    ProductFactory.create_batch(2, shop=request.getfixturevalue("shop_b"))

    response = signed_in(request.getfixturevalue(person)).get(PRODUCT_CHANGELIST)

    assert response.status_code == 200
    assert _listed(response) == [product_a]
    content = response.content.decode()
    assert "Beta Books" not in content  # not even in the shop filter


def test_the_shop_filter_names_only_the_sellers_shops(signed_in, clerk_a, shop_b, product_a):
    third = ProductFactory(shop=MembershipFactory(user=clerk_a, role="staff").shop)
    ProductFactory(shop=shop_b)

    response = signed_in(clerk_a).get(PRODUCT_CHANGELIST)

    assert set(_listed(response)) == {product_a, third}
    [shops] = [spec for spec in response.context["cl"].filter_specs if spec.title == "shop"]
    assert {name for _pk, name in shops.lookup_choices} == {"Alpha Audio", third.shop.name}
    assert "Beta Books" not in response.content.decode()


def test_platform_staff_see_every_shops_products(signed_in, superuser, product_a, product_b):
    response = signed_in(superuser).get(PRODUCT_CHANGELIST)

    assert set(_listed(response)) == {product_a, product_b}


@pytest.mark.parametrize("row_count", [3, 30])
def test_seller_changelist_query_count_does_not_grow_with_rows(
    signed_in, owner_a, shop_a, shop_b, django_assert_max_num_queries, row_count
):
    for _ in range(row_count):
        ProductFactory(shop=shop_a, category=CategoryFactory(), tags=[TagFactory()])
    ProductFactory.create_batch(3, shop=shop_b)
    client = signed_in(owner_a)

    # One budget for 3 rows and for 30. A seller costs a few queries a superuser does not:
    # their shops and the shops they own (each asked once a request), and their Django
    # permissions (two queries), asked by the admins of other apps for the sidebar.
    with django_assert_max_num_queries(11):
        response = client.get(PRODUCT_CHANGELIST)

    assert response.status_code == 200
    assert len(_listed(response)) == row_count


# --- Another shop's products: not found -------------------------------------------------


def test_another_shops_product_is_not_found(signed_in, owner_a, product_b):
    client = signed_in(owner_a)

    for url in (
        change_url(product_b),
        reverse("admin:catalog_product_history", args=[product_b.pk]),
        reverse("admin:catalog_product_delete", args=[product_b.pk]),
    ):
        assert client.get(url).status_code == 404, url
    # The same answer as for a product that does not exist at all.
    assert client.get(reverse("admin:catalog_product_change", args=[987654])).status_code == 404


def test_changing_another_shops_product_is_refused_and_changes_nothing(
    signed_in, owner_a, product_b
):
    response = signed_in(owner_a).post(
        change_url(product_b), _product_post(product_b, name="Hijacked", stock_quantity="0")
    )

    assert response.status_code == 404
    product_b.refresh_from_db()
    assert (product_b.name, product_b.stock_quantity) == ("Bookend", 7)


def test_actions_never_reach_another_shops_products(signed_in, owner_a, product_a, product_b):
    client = signed_in(owner_a)

    for action in ("deactivate_products", "soft_delete_products"):
        client.post(
            PRODUCT_CHANGELIST,
            {"action": action, "_selected_action": [product_a.pk, product_b.pk]},
        )

    product_a.refresh_from_db()
    product_b.refresh_from_db()
    assert (product_a.is_active, product_a.is_deleted) == (False, True)
    assert (product_b.is_active, product_b.is_deleted) == (True, False)


def test_products_set_active_checks_the_user(owner_a, product_a, product_b, superuser):
    with pytest.raises(ShopPermissionDenied):
        products_set_active(user=owner_a, products=[product_a, product_b], is_active=False)
    assert Product.objects.filter(is_active=True).count() == 2  # all or nothing

    assert products_set_active(user=owner_a, products=[product_a], is_active=False) == 1
    assert products_set_active(user=superuser, products=[product_b], is_active=False) == 1
    assert not Product.objects.filter(is_active=True).exists()


# --- Adding and changing their own products ---------------------------------------------


def test_the_shop_field_offers_only_the_sellers_shops(signed_in, owner_a, shop_a, shop_b):
    response = signed_in(owner_a).get(PRODUCT_ADD)

    assert response.status_code == 200
    shop_field = response.context["adminform"].form.fields["shop"]
    assert list(shop_field.queryset) == [shop_a]
    assert response.context["adminform"].form.initial["shop"] == shop_a.pk  # their only shop
    assert "Beta Books" not in response.content.decode()


@pytest.mark.postgresql
def test_owner_adds_a_product_to_their_shop_and_it_is_searchable(signed_in, owner_a, shop_a):
    tag = TagFactory(name="valve")
    category = CategoryFactory(name="Amplifiers")

    response = signed_in(owner_a).post(
        PRODUCT_ADD,
        _product_post(shop=shop_a.pk, name="Tube Amp", category=category.pk, tags=[tag.pk]),
    )

    assert response.status_code == 302
    product = Product.objects.get(name="Tube Amp")
    assert product.shop == shop_a
    assert product.sku.startswith("ALPHA-AUDIO-")  # through product_create
    assert (product.category, list(product.tags.all())) == (category, [tag])
    assert list(product_search(product_list_public(), "tube")) == [product]
    assert list(product_search(product_list_public(), "valve")) == [product]


def test_adding_a_product_to_another_shop_is_a_form_error(signed_in, owner_a, shop_b):
    response = signed_in(owner_a).post(PRODUCT_ADD, _product_post(shop=shop_b.pk))

    assert response.status_code == 200
    assert "shop" in response.context["adminform"].form.errors
    assert not Product.objects.exists()


def test_shop_staff_member_changes_stock_price_and_tags(signed_in, clerk_a, product_a):
    tag = TagFactory(name="vintage")

    response = signed_in(clerk_a).post(
        change_url(product_a),
        _product_post(product_a, stock_quantity="12", price="99.50", tags=[tag.pk]),
    )

    assert response.status_code == 302
    product_a.refresh_from_db()
    assert (product_a.stock_quantity, str(product_a.price)) == (12, "99.50")
    assert list(product_a.tags.all()) == [tag]


def test_a_product_does_not_move_to_another_shop(signed_in, owner_a, product_a, shop_a, shop_b):
    response = signed_in(owner_a).post(
        change_url(product_a), _product_post(product_a, shop=shop_b.pk, stock_quantity="1")
    )

    assert response.status_code == 302  # the shop field is read-only once it exists
    product_a.refresh_from_db()
    assert (product_a.shop, product_a.stock_quantity) == (shop_a, 1)


def test_seller_product_form_uses_plain_lists_for_category_and_tags(
    signed_in, superuser, owner_a, product_a
):
    CategoryFactory(name="Amplifiers")
    TagFactory(name="valve")

    seller_page = signed_in(owner_a).get(change_url(product_a))
    seller_form = seller_page.context["adminform"].form
    staff_form = signed_in(superuser).get(change_url(product_a)).context["adminform"].form

    assert seller_page.status_code == 200
    for name in ("category", "tags"):
        assert "admin-autocomplete" in staff_form[name].as_widget()
        assert "admin-autocomplete" not in seller_form[name].as_widget()
    assert "Amplifiers" in seller_form["category"].as_widget()
    assert "valve" in seller_form["tags"].as_widget()
    # The platform's categories and tags are not sellers' to add or edit from here.
    assert reverse("admin:catalog_category_add") not in seller_page.content.decode()
    assert reverse("admin:catalog_tag_add") not in seller_page.content.decode()


def test_autocomplete_answers_sellers_with_their_shops_only(
    signed_in, owner_a, superuser, shop_a, shop_b
):
    def ask(client, field_name):
        params = {"app_label": "catalog", "model_name": "product", "field_name": field_name}
        return client.get(AUTOCOMPLETE, params)

    seller = signed_in(owner_a)
    shops = ask(seller, "shop")
    assert shops.status_code == 200
    assert [row["text"] for row in shops.json()["results"]] == ["Alpha Audio"]
    assert ask(seller, "tags").status_code == 403
    assert ask(seller, "category").status_code == 403

    staff = signed_in(superuser)
    assert len(ask(staff, "shop").json()["results"]) == 2


# --- Actions and images -----------------------------------------------------------------


def test_seller_runs_the_actions_on_their_products(signed_in, clerk_a, product_a):
    client = signed_in(clerk_a)

    response = client.get(PRODUCT_CHANGELIST)
    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert [name for name in choices if name] == [
        "activate_products",
        "deactivate_products",
        "generate_variants",
        "soft_delete_products",
    ]

    client.post(
        PRODUCT_CHANGELIST, {"action": "deactivate_products", "_selected_action": [product_a.pk]}
    )
    assert not product_list_public().exists()
    client.post(
        PRODUCT_CHANGELIST, {"action": "activate_products", "_selected_action": [product_a.pk]}
    )
    assert list(product_list_public()) == [product_a]
    response = client.post(
        PRODUCT_CHANGELIST,
        {"action": "soft_delete_products", "_selected_action": [product_a.pk]},
        follow=True,
    )
    assert "Soft-deleted 1 product" in response.content.decode()
    product_a.refresh_from_db()
    assert product_a.is_deleted


def test_sellers_do_not_hard_delete_products(signed_in, owner_a, product_a):
    client = signed_in(owner_a)

    response = client.post(
        reverse("admin:catalog_product_delete", args=[product_a.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Product.objects.filter(pk=product_a.pk).exists()


def test_seller_adds_and_removes_images_of_their_product(
    signed_in, clerk_a, product_a, django_capture_on_commit_callbacks
):
    client = signed_in(clerk_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change_url(product_a),
            _product_post(product_a, images=[{"image": _png(), "alt": "Front", "position": "0"}]),
        )

    assert response.status_code == 302
    image = ProductImage.objects.get(product=product_a)
    assert image.alt == "Front"
    assert image.thumbnail

    page = client.get(change_url(product_a))
    [images] = page.context["inline_admin_formsets"]
    assert [form.instance for form in images.formset.forms if form.instance.pk] == [image]

    row = {"id": image.pk, "alt": "Front", "position": "0", "DELETE": "on"}
    response = client.post(change_url(product_a), _product_post(product_a, images=[row]))
    assert response.status_code == 302
    assert not ProductImage.objects.exists()


def test_an_image_of_another_shops_product_cannot_be_changed_through_own_product(
    signed_in, owner_a, product_a, product_b, superuser
):
    signed_in(superuser).post(
        change_url(product_b),
        _product_post(product_b, images=[{"image": _png(), "alt": "B", "position": "0"}]),
    )
    theirs = ProductImage.objects.get(product=product_b)
    row = {"id": theirs.pk, "alt": "Taken", "position": "0", "DELETE": "on"}

    response = signed_in(owner_a).post(
        change_url(product_a), _product_post(product_a, images=[row])
    )

    assert response.status_code == 302  # the row is not among this product's images
    theirs.refresh_from_db()
    assert (theirs.product_id, theirs.alt) == (product_b.pk, "B")


# --- The platform's parts: staff only ---------------------------------------------------


@pytest.mark.parametrize("model", ["category", "tag", "review"])
@pytest.mark.parametrize("person", ["owner_a", "clerk_a"])
def test_sellers_cannot_open_categories_tags_or_reviews(request, signed_in, person, model):
    review = ReviewFactory(product=ProductFactory(shop=request.getfixturevalue("shop_a")))
    objects = {"category": CategoryFactory(), "tag": TagFactory(), "review": review}
    client = signed_in(request.getfixturevalue(person))

    for url in (
        reverse(f"admin:catalog_{model}_changelist"),
        reverse(f"admin:catalog_{model}_add"),
        reverse(f"admin:catalog_{model}_change", args=[objects[model].pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_sellers_cannot_edit_categories(signed_in, owner_a):
    category = CategoryFactory(name="Amplifiers")

    response = signed_in(owner_a).post(
        reverse("admin:catalog_category_change", args=[category.pk]),
        {"name": "Mine now", "slug": category.slug, "position": "0"},
    )

    assert response.status_code == 403
    category.refresh_from_db()
    assert category.name == "Amplifiers"
