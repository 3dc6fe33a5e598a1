"""`manage.py seed_demo`: the demo marketplace, its staff login, and its idempotence."""

import io
import re
from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command, load_command_class
from django.db.models import Avg, Count
from PIL import Image

from accounts.models import User
from accounts.selectors import user_email_verified
from catalog.models import Category, Product, ProductImage, ProductVariant, Review, Tag
from catalog.selectors import product_list_public, product_search
from catalog.services import THUMBNAIL_SIZE, product_rating_refresh
from shops.models import Shop, ShopMembership

SMALL = ("--products", "30")


def seed(*args: str, stderr=None) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "verified addresses": EmailAddress.objects.filter(verified=True).count(),
        "shops": Shop.objects.count(),
        "memberships": ShopMembership.objects.count(),
        "categories": Category.objects.count(),
        "tags": Tag.objects.count(),
        "products": Product.objects.count(),
        "product tags": Product.tags.through.objects.count(),
        "images": ProductImage.objects.count(),
        "reviews": Review.objects.count(),
    }


def stored_files() -> set[str]:
    found, folders = set(), [""]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except FileNotFoundError:  # nothing was ever stored
            return found
        folders += [f"{folder}{name}/" for name in subfolders]
        found |= {f"{folder}{name}" for name in files}
    return found


# --- The staff login (what the quickstart prints) -----------------------------------------


@pytest.mark.django_db
def test_seed_demo_prints_a_staff_login_that_works():
    output = seed("--products", "0")
    email = re.search(r"email:\s+(\S+)", output).group(1)
    password = re.search(r"password:\s+(\S+)", output).group(1)
    user = authenticate(email=email, password=password)
    assert user is not None
    assert user.is_staff and user.is_superuser
    assert user_email_verified(user=user)


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_the_latest_printed_password_works():
    seed("--products", "0")
    output = seed("--products", "0", "--staff-password", "another-long-password")
    assert "Reset the staff login" in output
    assert User.objects.filter(email="admin@example.com").count() == 1
    assert authenticate(email="ADMIN@example.com", password="another-long-password")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ("--staff-password", "short"),
        ("--owner-password", "short"),
        ("--products", "-1"),
    ],
)
def test_seed_demo_rejects_bad_options(args):
    with pytest.raises(CommandError):
        seed(*args)
    assert not Shop.objects.exists()


@pytest.mark.django_db
def test_no_staff_leaves_the_staff_login_alone():
    output = seed("--products", "0", "--no-staff")
    assert not User.objects.filter(is_staff=True).exists()
    assert "staff login" not in output


# --- The catalog ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_small_catalog_has_shops_categories_tags_products_images_and_reviews():
    output = seed(*SMALL, "--owner-password", "demo-password-1")

    shops = list(Shop.objects.order_by("id"))
    assert len(shops) == 8
    for number, shop in enumerate(shops, start=1):
        owner = ShopMembership.objects.get(shop=shop).user  # exactly one member: the owner
        assert owner.email == f"owner{number}@shop.example"
        assert ShopMembership.objects.get(shop=shop).role == ShopMembership.Role.OWNER
        assert user_email_verified(user=owner)
        assert authenticate(email=owner.email, password="demo-password-1") == owner
    customer = authenticate(email="customer20@shop.example", password="demo-password-1")
    assert customer is not None and user_email_verified(user=customer)
    assert not customer.is_staff and not customer.shop_memberships.exists()

    roots = Category.objects.filter(parent=None)
    leaves = Category.objects.filter(children=None)
    assert Category.objects.count() == 37
    assert {root.name for root in roots} >= {"Electronics", "Home & Kitchen", "Fashion"}
    assert all(leaf.parent.parent.parent_id is None for leaf in leaves)  # three levels
    headphones = Category.objects.get(slug="headphones")
    assert (headphones.parent.name, headphones.parent.parent.name) == ("Audio", "Electronics")
    assert Tag.objects.count() == 25

    products = Product.objects.all()
    assert products.count() == 30
    assert set(products.values_list("shop_id", flat=True)) == {shop.pk for shop in shops}
    assert all(product.category_id in {leaf.pk for leaf in leaves} for product in products)
    assert all(product.tags.exists() for product in products)
    assert all(product.price > 0 and product.description for product in products)
    assert len({product.name for product in products}) > 25  # names vary
    assert products.filter(stock_quantity=0).exists()  # some are sold out
    assert products.filter(stock_quantity__gt=0).count() > 20
    assert product_list_public().count() == 30

    assert ProductImage.objects.count() >= 30
    assert not products.filter(images=None).exists()
    assert Review.objects.count() > 30
    assert not Review.objects.filter(user__shop_memberships__isnull=False).exists()

    assert re.search(r"products\s+30\s+\(30 new\)", output)
    assert re.search(r"shops\s+8\s+\(8 new\)", output)
    assert re.search(r"Demo data ready in \d+\.\d s", output)
    assert "demo password: demo-password-1" in output


@pytest.mark.django_db
def test_every_product_image_is_stored_with_a_thumbnail():
    seed("--products", "12")
    images = list(ProductImage.objects.all())
    assert images and all(image.thumbnail for image in images)
    for name in {image.image.name for image in images}:
        with default_storage.open(name, "rb") as stored, Image.open(stored) as picture:
            assert (picture.format, picture.size) == ("JPEG", (800, 800))
    for name in {image.thumbnail.name for image in images}:
        with default_storage.open(name, "rb") as stored, Image.open(stored) as thumbnail:
            assert thumbnail.format == "JPEG" and thumbnail.size == THUMBNAIL_SIZE
    assert all((image.width, image.height) == (800, 800) for image in images)


@pytest.mark.django_db
def test_ratings_are_those_of_the_reviews():
    seed(*SMALL)
    products = list(Product.objects.annotate(average=Avg("reviews__rating"), n=Count("reviews")))
    for product in products:
        assert product.rating_count == product.n
        if product.n:
            assert product.rating_average == Decimal(str(product.average)).quantize(Decimal("0.01"))
        else:
            assert product.rating_average is None
    assert len({product.rating_average for product in products if product.n}) > 5  # they vary
    assert any(product.n == 0 for product in products)

    # The review services' own recomputation agrees, to the cent.
    before = {product.pk: (product.rating_average, product.rating_count) for product in products}
    for product in products:
        product_rating_refresh(product=product)
    after = {
        pk: (average, count)
        for pk, average, count in Product.objects.values_list(
            "pk", "rating_average", "rating_count"
        )
    }
    assert after == before


@pytest.mark.django_db
@pytest.mark.postgresql
def test_seeded_products_are_found_by_search():
    seed("--products", "8")
    assert not Product.objects.filter(search_vector=None).exists()
    product = Product.objects.order_by("id").first()
    found = product_search(product_list_public(), product.name)
    assert product in found
    by_category = product_search(product_list_public(), product.category.name)
    assert product in by_category


@pytest.mark.django_db
def test_running_it_again_changes_no_counts_and_writes_no_files():
    seed("--products", "16")
    before, files = counts(), stored_files()
    output = seed("--products", "16")
    assert counts() == before
    assert stored_files() == files
    assert re.search(r"products\s+16\s+\(0 new\)", output)
    assert "(1 new)" not in output


@pytest.mark.django_db
def test_a_larger_number_extends_the_catalog_and_keeps_what_was_there():
    seed("--products", "10")
    variants = ProductVariant.objects.order_by("sku").values_list(
        "sku", "product__name", "price", "stock_quantity", "options_text", "shop_id"
    )
    first = list(variants)
    reviews = Review.objects.count()
    seed("--products", "14")
    assert Product.objects.count() == 14
    assert list(variants)[: len(first)] == first
    assert Review.objects.count() >= reviews
    assert not ProductImage.objects.filter(thumbnail="").exists()


@pytest.mark.django_db
def test_zero_products_makes_the_rest():
    output = seed("--products", "0")
    assert counts() | {"users": 0, "verified addresses": 0} == {
        "users": 0,
        "verified addresses": 0,
        "shops": 8,
        "memberships": 8,
        "categories": 37,
        "tags": 25,
        "products": 0,
        "product tags": 0,
        "images": 0,
        "reviews": 0,
    }
    assert User.objects.filter(email__endswith="@shop.example").count() == 28
    assert stored_files() == set()
    assert "Demo data loaded." in output


# --- The benchmark's scale: more shops, categories, customers; a set number of reviews ---

SCALED = (
    "--products", "90", "--shops", "11", "--categories", "60", "--customers", "27",
    "--reviews", "70",
)  # fmt: skip


@pytest.mark.django_db
def test_scale_options_make_that_many_shops_categories_customers_and_reviews():
    output = seed(*SCALED, "--owner-password", "demo-password-1")

    assert Shop.objects.count() == 11
    assert Category.objects.count() == 60
    assert Product.objects.count() == 90
    assert Review.objects.count() == 70
    customers = User.objects.filter(email__startswith="customer", email__endswith="@shop.example")
    assert customers.count() == 27
    assert Review.objects.exclude(user__in=customers).count() == 0
    assert re.search(r"reviews\s+70\s+\(70 new\)", output)
    assert "owner11@shop.example" in output and "customer27@shop.example" in output

    # The extra shops are demo shops in other towns, each with a verified owner who signs in.
    extra = Shop.objects.get(slug="northwind-audio-lisbon")
    assert extra.name == "Northwind Audio Lisbon"
    owner = ShopMembership.objects.get(shop=extra).user
    assert owner.email == "owner9@shop.example" and user_email_verified(user=owner)
    assert authenticate(email=owner.email, password="demo-password-1") == owner
    assert authenticate(email="customer27@shop.example", password="demo-password-1")
    assert len({(c.first_name, c.last_name) for c in customers}) == 27  # names differ

    # The extra categories are leaves beside a demo leaf, and products are filed in them.
    travel = Category.objects.get(slug="travel-headphones")
    assert travel.name == "Travel Headphones"
    assert travel.parent == Category.objects.get(slug="headphones").parent
    assert not travel.children.exists()
    variants = Category.objects.filter(slug__in=[f"travel-{s}" for s in ("headphones", "tents")])
    leaves = Category.objects.filter(children=None)
    assert leaves.count() == 22 + 23
    assert Product.objects.filter(category__in=leaves.exclude(pk__in=variants)).exists()
    assert Product.objects.exclude(category__in=leaves).count() == 0
    in_extra = Product.objects.filter(category__slug__regex=r"^(travel|premium)-")
    assert in_extra.exists()
    # Every shop has products, and they sell what their model shop sells.
    assert set(Product.objects.values_list("shop_id", flat=True)) == set(
        Shop.objects.values_list("id", flat=True)
    )
    lisbon_categories = set(extra.products.values_list("category__slug", flat=True))
    assert all(slug.endswith(("headphones", "speakers")) for slug in lisbon_categories)


@pytest.mark.django_db
def test_with_a_review_count_the_denormalised_ratings_are_the_real_averages():
    seed(*SCALED)
    products = list(Product.objects.annotate(average=Avg("reviews__rating"), n=Count("reviews")))
    assert sum(product.n for product in products) == 70
    assert all(product.n <= 5 for product in products)
    for product in products:
        assert product.rating_count == product.n
        expected = Decimal(str(product.average)).quantize(Decimal("0.01")) if product.n else None
        assert product.rating_average == expected
    assert any(product.n == 0 for product in products)  # 70 reviews do not reach them all


@pytest.mark.django_db
def test_a_larger_review_count_tops_up_and_a_rerun_changes_nothing():
    seed(*SCALED)
    before = counts()
    output = seed(*SCALED)
    assert counts() == before
    assert "(1 new)" not in output

    grown = list(SCALED)
    grown[grown.index("--reviews") + 1] = "100"
    seed(*grown)
    assert Review.objects.count() == 100
    assert Product.objects.count() == 90
    reviewed = Product.objects.filter(rating_count__gt=0)
    assert sum(reviewed.values_list("rating_count", flat=True)) == 100


@pytest.mark.django_db
def test_more_shops_later_keeps_the_products_and_adds_none_twice():
    seed("--products", "20")
    skus = set(ProductVariant.objects.values_list("sku", flat=True))
    seed("--products", "20", "--shops", "10")
    assert Shop.objects.count() == 10
    assert set(ProductVariant.objects.values_list("sku", flat=True)) == skus  # no duplicate SKUs
    assert Product.objects.count() == 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ("--shops", "7"),
        ("--shops", "1000"),
        ("--categories", "36"),
        ("--categories", "100000"),
        ("--customers", "19"),
        ("--reviews", "-1"),
    ],
)
def test_scale_options_out_of_range_are_refused_with_the_range(args):
    with pytest.raises(CommandError, match=args[0]):
        seed("--products", "0", *args)
    assert not Shop.objects.exists()


# --- The command line ----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_a_progress_bar_is_drawn_on_a_terminal_only():
    terminal = Terminal()
    seed("--products", "3", stderr=terminal)
    assert "Demo products: 100%" in terminal.getvalue()
    assert "3/3" in terminal.getvalue()

    quiet = Terminal()
    seed("--products", "3", "--no-progress", stderr=quiet)
    piped = StringIO()
    seed("--products", "3", stderr=piped)
    assert quiet.getvalue() == piped.getvalue() == ""


def test_help_documents_every_option():
    command = load_command_class("catalog", "seed_demo")
    parser = command.create_parser("manage.py", "seed_demo")
    own = [
        action
        for action in parser._actions
        if set(action.option_strings)
        & {
            "--products",
            "--staff-email",
            "--staff-password",
            "--no-staff",
            "--owner-password",
            "--no-progress",
            "--shops",
            "--categories",
            "--customers",
            "--reviews",
        }
    ]
    assert len(own) == 10
    assert all(action.help and len(action.help) > 20 for action in own)
    text = parser.format_help()
    assert "100000" in text and "--products N" in text
