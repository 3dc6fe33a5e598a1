"""The staff admin of the catalog: lists in a fixed number of queries, every write through
catalog.services (search words, tree cache, ratings), and a refusal shown as a form error
or a message, never a 500."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import Category, Product, ProductImage, Tag
from catalog.selectors import category_tree, product_list_public, product_search
from catalog.services import product_rating_refresh
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ReviewFactory,
    ShopFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT_CHANGELIST = reverse("admin:catalog_product_changelist")
PRODUCT_ADD = reverse("admin:catalog_product_add")
CATEGORY_CHANGELIST = reverse("admin:catalog_category_changelist")
CATEGORY_ADD = reverse("admin:catalog_category_add")
TAG_CHANGELIST = reverse("admin:catalog_tag_changelist")
REVIEW_CHANGELIST = reverse("admin:catalog_review_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    return reverse(f"admin:catalog_{obj._meta.model_name}_delete", args=[obj.pk])


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _listed(response) -> list:
    return list(response.context["cl"].result_list)


def _errors(response) -> str:
    """Everything the re-shown form complains about (main form and inline rows)."""
    assert response.status_code == 200, "expected the form again, with errors"
    return str(response.context["errors"])


def _png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _new_image(**fields) -> dict:
    """A row of the images inline with a fresh upload, as the browser posts it."""
    return {"image": _png(), "alt": "", "position": "0", **fields}


def _product_post(product=None, images=(), **overrides) -> dict:
    """The product form as the browser posts it; `images` are rows of the images inline."""
    data = {
        "name": product.name if product else "Walnut Desk",
        "category": (product.category_id or "") if product else "",
        "tags": [tag.pk for tag in product.tags.all()] if product else [],
        "description": product.description if product else "",
        "price": str(product.price) if product else "120.00",
        "sku": product.variants.get().sku if product else "",
        "stock_quantity": str(product.stock_quantity) if product else "3",
        "is_active": "on" if product is None or product.is_active else None,
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": str(sum(1 for row in images if "id" in row)),
    }
    for index, row in enumerate(images):
        for key, value in row.items():
            data[f"images-{index}-{key}"] = value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Changelists: a fixed number of queries --------------------------------------------


def _catalog_rows(count: int) -> None:
    """`count` rows of each list: products (each its own shop, category, tag and review)."""
    root = CategoryFactory()
    for index in range(count):
        product = ProductFactory(
            shop=ShopFactory(),
            category=CategoryFactory(parent=root),
            tags=[TagFactory()],
            stock_quantity=index % 2,
        )
        ReviewFactory(product=product)


@pytest.mark.parametrize("row_count", [3, 30])
@pytest.mark.parametrize(
    "url", [PRODUCT_CHANGELIST, CATEGORY_CHANGELIST, TAG_CHANGELIST, REVIEW_CHANGELIST]
)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, row_count, url
):
    _catalog_rows(row_count)

    # One budget for 3 rows and for 30 (the site's cart context processor included).
    with django_assert_max_num_queries(9):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(_listed(response)) >= row_count


def test_product_changelist_columns(admin_client):
    product = ProductFactory(
        name="Walnut Desk", shop=ShopFactory(name="Wood Works"), category=CategoryFactory()
    )

    response = admin_client.get(PRODUCT_CHANGELIST)

    assert response.context["cl"].list_display[1:] == [
        "name",
        "shop",
        "category",
        "price_shown",
        "variant_count",
        "stock_quantity",
        "is_active",
        "rating",
        "created_at",
        "deleted",
    ]
    content = response.content.decode()
    assert "Walnut Desk" in content
    assert "Wood Works" in content
    assert product.category.name in content


def test_product_search_by_name_sku_and_shop(admin_client):
    desk = ProductFactory(name="Walnut Desk", sku="WD-1", shop=ShopFactory(name="Wood Works"))
    ProductFactory(name="Coffee Mug", sku="CM-1")

    for query in ("walnut", "WD-1", "wood works"):
        assert _listed(admin_client.get(PRODUCT_CHANGELIST, {"q": query})) == [desk]


def test_product_filters_in_stock_and_deleted(admin_client):
    in_stock = ProductFactory(stock_quantity=4)
    sold_out = ProductFactory(stock_quantity=0)
    deleted = ProductFactory(deleted_at="2024-01-01T00:00:00Z", is_active=False)

    def listed(**params):
        return set(_listed(admin_client.get(PRODUCT_CHANGELIST, params)))

    assert listed() == {in_stock, sold_out}  # deleted products are hidden by default
    assert listed(in_stock="yes") == {in_stock}
    assert listed(in_stock="no") == {sold_out}
    assert listed(deleted="yes") == {deleted}
    assert listed(deleted="all") == {in_stock, sold_out, deleted}


def test_category_changelist_counts_live_products(admin_client):
    parent = CategoryFactory(name="Furniture")
    child = CategoryFactory(name="Desks", parent=parent)
    ProductFactory.create_batch(2, category=child)
    ProductFactory(category=child, deleted_at="2024-01-01T00:00:00Z")

    response = admin_client.get(CATEGORY_CHANGELIST, {"q": "desks"})

    [row] = _listed(response)
    assert (row, row.parent, row.product_count) == (child, parent, 2)


def test_review_changelist_filters_and_search(admin_client):
    five = ReviewFactory(rating=5, verified_purchase=True, user=UserFactory(email="ada@x.example"))
    ReviewFactory(rating=2)

    assert _listed(admin_client.get(REVIEW_CHANGELIST, {"rating__exact": "5"})) == [five]
    assert _listed(admin_client.get(REVIEW_CHANGELIST, {"verified_purchase__exact": "1"})) == [five]
    assert _listed(admin_client.get(REVIEW_CHANGELIST, {"q": "ada@x"})) == [five]


# --- Change pages open -----------------------------------------------------------------


def test_change_pages_open(admin_client, django_capture_on_commit_callbacks):
    product = ProductFactory(category=CategoryFactory(), tags=[TagFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(product), _product_post(product, images=[_new_image()]))
    review = ReviewFactory(product=product)

    for obj in (product, product.category, product.tags.get(), review):
        response = admin_client.get(change_url(obj))
        assert response.status_code == 200, obj
    assert admin_client.get(PRODUCT_ADD).status_code == 200
    assert admin_client.get(CATEGORY_ADD).status_code == 200


# --- Products: actions -----------------------------------------------------------------


def test_deactivate_action_hides_products_from_the_catalog(admin_client):
    hidden, kept = ProductFactory(), ProductFactory()

    response = admin_client.post(
        PRODUCT_CHANGELIST,
        {"action": "deactivate_products", "_selected_action": [hidden.pk]},
        follow=True,
    )

    assert "Deactivated 1 product" in response.content.decode()
    assert list(product_list_public()) == [kept]


def test_activate_action_publishes_products_but_not_deleted_ones(admin_client):
    draft = ProductFactory(is_active=False)
    deleted = ProductFactory(is_active=False, deleted_at="2024-01-01T00:00:00Z")

    admin_client.post(
        PRODUCT_CHANGELIST,
        {
            "action": "activate_products",
            "_selected_action": [draft.pk, deleted.pk],
            "deleted": "all",
        },
    )

    assert list(product_list_public()) == [draft]
    deleted.refresh_from_db()
    assert deleted.is_active is False


def test_soft_delete_action_hides_the_product_and_keeps_the_row(admin_client):
    product = ProductFactory()

    admin_client.post(
        PRODUCT_CHANGELIST, {"action": "soft_delete_products", "_selected_action": [product.pk]}
    )

    product.refresh_from_db()
    assert product.deleted_at is not None
    assert product.is_active is False
    assert not product_list_public().exists()


def test_products_cannot_be_hard_deleted(admin_client):
    product = ProductFactory()

    response = admin_client.get(PRODUCT_CHANGELIST)
    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices
    assert admin_client.post(delete_url(product), {"post": "yes"}).status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()


def test_a_soft_deleted_product_is_read_only(admin_client):
    product = ProductFactory(deleted_at="2024-01-01T00:00:00Z", is_active=False)

    page = admin_client.get(change_url(product))
    response = admin_client.post(change_url(product), _product_post(product, name="Back again"))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name != "Back again"


# --- Products: the form goes through the services --------------------------------------


def test_product_added_in_admin_goes_through_product_create(admin_client):
    shop = ShopFactory(slug="wood-works")
    tag = TagFactory(name="oak")

    response = admin_client.post(
        PRODUCT_ADD, _product_post(shop=shop.pk, price="120.5", tags=[tag.pk], sku="")
    )

    assert response.status_code == 302
    product = Product.objects.get(name="Walnut Desk")
    assert product.shop == shop
    assert product.price == Decimal("120.50")
    assert product.sku.startswith("WOOD-WORKS-")  # made up by the service
    assert product.slug == "walnut-desk"
    assert list(product.tags.all()) == [tag]


def test_product_edited_in_admin_goes_through_product_update(admin_client):
    product = ProductFactory(tags=[TagFactory(name="old")])
    new_tag = TagFactory(name="new")

    response = admin_client.post(
        change_url(product),
        _product_post(product, stock_quantity="0", tags=[new_tag.pk], is_active=None),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert product.is_active is False
    assert list(product.tags.all()) == [new_tag]


@pytest.mark.postgresql
def test_renaming_a_product_in_admin_makes_the_new_name_searchable(admin_client):
    product = ProductFactory(name="Walnut Desk")

    response = admin_client.post(change_url(product), _product_post(product, name="Teak Bureau"))

    assert response.status_code == 302
    assert list(product_search(product_list_public(), "bureau")) == [product]
    assert not product_search(product_list_public(), "walnut").exists()


@pytest.mark.postgresql
def test_a_product_added_in_admin_is_searchable_at_once(admin_client):
    shop = ShopFactory()

    admin_client.post(PRODUCT_ADD, _product_post(shop=shop.pk, name="Teak Bureau"))

    assert [p.name for p in product_search(product_list_public(), "bureau")] == ["Teak Bureau"]


def test_negative_price_is_a_form_error(admin_client):
    product = ProductFactory(price="10.00")

    response = admin_client.post(change_url(product), _product_post(product, price="-1.00"))

    assert "price" in response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.price == Decimal("10.00")


def test_duplicate_sku_in_the_same_shop_is_a_form_error(admin_client):
    taken = ProductFactory(sku="DESK-1")
    product = ProductFactory(shop=taken.shop, sku="DESK-2")
    elsewhere = ProductFactory(sku="DESK-1")  # another shop may use it

    response = admin_client.post(change_url(product), _product_post(product, sku="DESK-1"))
    added = admin_client.post(PRODUCT_ADD, _product_post(shop=taken.shop.pk, sku="DESK-1"))

    for failed in (response, added):
        assert "already has a product with SKU DESK-1" in str(
            failed.context["adminform"].form.errors["sku"]
        )
    product.refresh_from_db()
    assert product.sku == "DESK-2"
    assert Product.objects.filter(variants__sku="DESK-1").count() == 2
    assert admin_client.post(change_url(elsewhere), _product_post(elsewhere)).status_code == 302


# --- Products: images ------------------------------------------------------------------


def test_image_uploaded_in_admin_is_stored_with_a_thumbnail(
    admin_client, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    rows = [_new_image(alt="Front view")]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(product), _product_post(product, images=rows))

    assert response.status_code == 302
    image = ProductImage.objects.get(product=product)
    assert image.alt == "Front view"
    assert (image.width, image.height) == (32, 24)
    assert image.image.name.startswith(f"products/{product.pk}/")
    assert image.thumbnail  # queued after commit by product_image_add, made by the worker

    page = admin_client.get(change_url(product)).content.decode()
    assert image.thumbnail.url in page  # the preview


def test_a_product_added_with_an_image_in_one_save(admin_client):
    shop = ShopFactory()

    response = admin_client.post(
        PRODUCT_ADD, _product_post(shop=shop.pk, images=[_new_image(alt="Top")])
    )

    assert response.status_code == 302
    product = Product.objects.get(name="Walnut Desk")
    assert list(product.images.values_list("alt", flat=True)) == ["Top"]


def test_a_refused_save_keeps_nothing_and_shows_the_upload_row_clean(admin_client):
    taken = ProductFactory(sku="DESK-1")
    product = ProductFactory(shop=taken.shop, sku="DESK-2")

    response = admin_client.post(
        change_url(product), _product_post(product, sku="DESK-1", images=[_new_image()])
    )

    assert "sku" in response.context["adminform"].form.errors
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert not row.errors  # the same upload was read again and is still a good image
    assert not ProductImage.objects.exists()


def test_a_text_file_uploaded_as_image_is_a_form_error(admin_client):
    product = ProductFactory()
    text = SimpleUploadedFile("notes.png", b"just some words", content_type="image/png")

    response = admin_client.post(
        change_url(product), _product_post(product, name="Renamed", images=[{"image": text}])
    )

    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert "image" in row.errors
    assert not ProductImage.objects.exists()
    product.refresh_from_db()
    assert product.name != "Renamed"


def test_existing_images_keep_their_file_and_change_alt_and_position(admin_client):
    product = ProductFactory()
    admin_client.post(change_url(product), _product_post(product, images=[_new_image()]))
    image = ProductImage.objects.get()
    row = {"id": image.pk, "alt": "Side", "position": "4"}

    response = admin_client.post(change_url(product), _product_post(product, images=[row]))

    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.alt, image.position) == ("Side", 4)

    replaced = {**row, "image": _png("other.png")}
    response = admin_client.post(change_url(product), _product_post(product, images=[replaced]))
    assert "delete it and add a new one" in _errors(response)


# --- Categories ------------------------------------------------------------------------


def test_category_added_and_moved_through_the_services(
    admin_client, django_capture_on_commit_callbacks
):
    root = CategoryFactory(name="Furniture")
    assert [node["name"] for node in category_tree()] == ["Furniture"]  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CATEGORY_ADD, {"name": "Desks", "slug": "", "parent": root.pk, "position": "0"}
        )

    assert response.status_code == 302
    desks = Category.objects.get(name="Desks")
    assert desks.slug == "desks"
    assert [child["name"] for child in category_tree()[0]["children"]] == ["Desks"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(desks), {"name": "Desks", "slug": "desks", "position": "1"})
    assert {node["name"] for node in category_tree()} == {"Furniture", "Desks"}


@pytest.mark.postgresql
def test_renaming_a_category_refreshes_the_search_words_of_its_products(admin_client):
    category = CategoryFactory(name="Furniture")
    product = ProductFactory(name="Walnut Desk", category=category)

    response = admin_client.post(
        change_url(category), {"name": "Woodwork", "slug": category.slug, "position": "0"}
    )

    assert response.status_code == 302

    assert list(product_search(product_list_public(), "woodwork")) == [product]


def test_category_cycle_is_a_form_error(admin_client):
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)

    response = admin_client.post(
        change_url(root),
        {"name": root.name, "slug": root.slug, "parent": grandchild.pk, "position": "0"},
    )

    errors = response.context["adminform"].form.errors
    assert "cannot be placed below itself" in str(errors["parent"])
    root.refresh_from_db()
    assert root.parent is None


def test_deleting_a_category_with_children_is_refused(admin_client):
    root = CategoryFactory(name="Furniture")
    CategoryFactory(parent=root, name="Desks")

    response = admin_client.post(delete_url(root), {"post": "yes"})

    assert response.status_code == 200
    assert "Desks" in response.content.decode()  # named as what stands in the way
    assert Category.objects.filter(pk=root.pk).exists()


def test_deleting_a_category_uncategorises_its_products_and_drops_the_tree(
    admin_client, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="Furniture")
    product = ProductFactory(category=category)
    assert category_tree()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(delete_url(category), {"post": "yes"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.category is None
    assert category_tree() == []


def test_bulk_delete_goes_through_the_service_and_keeps_parents(
    admin_client, django_capture_on_commit_callbacks
):
    root = CategoryFactory()
    leaves = CategoryFactory.create_batch(2, parent=root)
    assert category_tree()[0]["children"]
    action = {"action": "delete_selected", "post": "yes"}

    refused = admin_client.post(
        CATEGORY_CHANGELIST, {**action, "_selected_action": [root.pk, leaves[0].pk]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        deleted = admin_client.post(
            CATEGORY_CHANGELIST, {**action, "_selected_action": [leaf.pk for leaf in leaves]}
        )

    assert refused.status_code == 200  # the confirmation page names what stands in the way
    assert deleted.status_code == 302
    assert list(Category.objects.all()) == [root]
    assert category_tree()[0]["children"] == []


# --- Tags ------------------------------------------------------------------------------


@pytest.mark.postgresql
def test_renaming_a_tag_refreshes_the_search_words_of_its_products(admin_client):
    tag = TagFactory(name="oak")
    product = ProductFactory(name="Desk", tags=[tag])

    response = admin_client.post(change_url(tag), {"name": "walnut", "slug": tag.slug})

    assert response.status_code == 302
    assert list(product_search(product_list_public(), "walnut")) == [product]


@pytest.mark.postgresql
def test_deleting_a_tag_refreshes_the_search_words_of_its_products(admin_client):
    tag = TagFactory(name="walnut")
    ProductFactory(name="Desk", tags=[tag])

    admin_client.post(delete_url(tag), {"post": "yes"})

    assert not product_search(product_list_public(), "walnut").exists()


def test_tag_names_are_unique_whatever_the_case(admin_client):
    TagFactory(name="Oak")

    response = admin_client.post(reverse("admin:catalog_tag_add"), {"name": "oak", "slug": "oak2"})

    assert response.status_code == 200
    assert Tag.objects.count() == 1


# --- Reviews ---------------------------------------------------------------------------


def test_deleting_a_review_recomputes_the_rating(admin_client):
    product = ProductFactory()
    low = ReviewFactory(product=product, rating=1)
    ReviewFactory(product=product, rating=5)
    product_rating_refresh(product=product)

    response = admin_client.post(delete_url(low), {"post": "yes"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)


def test_bulk_deleting_reviews_recomputes_the_rating(admin_client):
    product = ProductFactory()
    reviews = [ReviewFactory(product=product, rating=rating) for rating in (1, 2, 5)]
    product_rating_refresh(product=product)

    admin_client.post(
        REVIEW_CHANGELIST,
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [r.pk for r in reviews[:2]],
        },
    )

    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)


def test_editing_a_review_recomputes_the_rating(admin_client):
    review = ReviewFactory(rating=5)
    product_rating_refresh(product=review.product)

    response = admin_client.post(
        change_url(review), {"rating": "2", "title": "Meh", "body": "Wobbly."}
    )
    invalid = admin_client.post(change_url(review), {"rating": "9", "title": "", "body": ""})

    assert response.status_code == 302
    review.product.refresh_from_db()
    assert review.product.rating_average == Decimal("2.00")
    assert "rating" in invalid.context["adminform"].form.errors


# --- Who may open the admin ------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [PRODUCT_CHANGELIST, CATEGORY_CHANGELIST, TAG_CHANGELIST, REVIEW_CHANGELIST]
)
def test_non_staff_users_cannot_get_in(client, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_cannot_run_product_actions(client):
    client.force_login(UserFactory())
    product = ProductFactory()

    client.post(
        PRODUCT_CHANGELIST, {"action": "deactivate_products", "_selected_action": [product.pk]}
    )

    assert list(product_list_public()) == [product]
