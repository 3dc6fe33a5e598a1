"""`manage.py import_products`: a good file is written whole, a bad one not at all."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product, Tag
from catalog.selectors import product_list_public, product_search
from tests.factories import CategoryFactory, ProductFactory, ShopFactory, TagFactory

pytestmark = pytest.mark.django_db

HEADER = "name,description,price,stock_quantity,sku,category,tags,is_active\n"


@pytest.fixture
def shop():
    return ShopFactory(name="Alpha Audio", slug="alpha-audio")


@pytest.fixture
def categories():
    audio = CategoryFactory(name="Audio", slug="audio")
    return {"audio": audio, "lamps": CategoryFactory(name="Desk Lamps", slug="desk-lamps")}


def csv_file(tmp_path, text: str, name: str = "products.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_products", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, str]:
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_products", *map(str, args), stdout=StringIO(), stderr=err)
    return str(error.value), err.getvalue()


GOOD = HEADER + (
    "Studio Headphones,Closed-back headphones for mixing.,129.00,12,HP-1,audio,"
    "wireless; studio,true\n"
    '"Lamp, brass","A lamp with a ""warm"" light.",45.5,3,LAMP-1,Desk Lamps,Brass;studio,yes\n'
    "Spare cable,,0,0,CABLE-1,,,false\n"
)


def test_a_good_file_creates_every_row_with_tags_and_categories(tmp_path, shop, categories):
    TagFactory(name="Studio", slug="studio")
    out, _err = run(csv_file(tmp_path, GOOD), "--shop", "alpha-audio")

    assert "Imported 3 row(s)" in out
    assert "3 product(s) created, 0 updated (0 unchanged), 2 new tag(s)" in out
    products = {product.sku: product for product in Product.objects.filter(shop=shop)}
    assert set(products) == {"HP-1", "LAMP-1", "CABLE-1"}
    headphones, lamp, cable = products["HP-1"], products["LAMP-1"], products["CABLE-1"]
    assert headphones.name == "Studio Headphones"
    assert headphones.price == Decimal("129.00") and headphones.stock_quantity == 12
    assert headphones.category == categories["audio"]
    assert headphones.is_active and headphones.currency == "USD"
    assert sorted(tag.name for tag in headphones.tags.all()) == ["Studio", "wireless"]
    assert lamp.name == "Lamp, brass" and lamp.description == 'A lamp with a "warm" light.'
    assert lamp.price == Decimal("45.50") and lamp.category == categories["lamps"]
    assert sorted(tag.name for tag in lamp.tags.all()) == ["Brass", "Studio"]
    assert cable.category is None and not cable.is_active and cable.price == Decimal("0.00")
    assert not cable.tags.exists()
    assert Tag.objects.filter(name__iexact="studio").count() == 1  # the existing tag reused
    assert len({product.slug for product in products.values()}) == 3


@pytest.mark.postgresql
def test_imported_products_are_searchable_at_once(tmp_path, shop, categories):
    run(csv_file(tmp_path, GOOD), "--shop", "alpha-audio")

    def found(query: str) -> list[str]:
        return sorted(product.sku for product in product_search(product_list_public(), query))

    assert not Product.objects.filter(search_vector__isnull=True).exists()
    assert found("headphones") == ["HP-1"]  # the name
    assert found("warm") == ["LAMP-1"]  # the description
    assert found("brass") == ["LAMP-1"]  # a tag
    assert found("audio") == ["HP-1"]  # the category


BAD = HEADER + (
    "Good one,,10.00,5,GOOD-1,,,\n"  # line 2: fine, but must not be written either
    "Cheap,,-1,5,NEG-1,,,\n"  # line 3
    ",,abc,-2,,nowhere,,maybe\n"  # line 4
    "Twin,,1.00,1,GOOD-1,,,\n"  # line 5: SKU repeated from line 2
    "Taken,,1.00,1,OLD-1,,,\n"  # line 6: SKU the shop already has
    "\n"  # blank line 7: skipped
    "Short,1.00\n"  # line 8
    '"Two\nlines",,99999999999.00,1,LONG-1,,,\n'  # lines 9-10: too many digits
    "Fine again,,3.00,3,FINE-1,audio,x;y,true\n"  # line 11
)


def test_a_bad_file_reports_every_bad_row_by_line_and_writes_nothing(tmp_path, shop, categories):
    ProductFactory(shop=shop, sku="OLD-1", name="Old", stock_quantity=7)
    before = (Product.objects.count(), Tag.objects.count())

    message, err = run_failing(csv_file(tmp_path, BAD), "--shop", "alpha-audio")

    lines = err.splitlines()
    assert "line 3: price: The price cannot be negative." in lines
    assert "line 4: name: A product needs a name." in lines
    assert "line 4: price: Enter a valid price." in lines
    assert "line 4: stock_quantity: Enter a whole number, 0 or more." in lines
    assert any(line.startswith("line 4: sku: A SKU is needed") for line in lines)
    assert "line 4: category: No category has the slug or name “nowhere”." in lines
    assert any(line.startswith("line 4: is_active: Enter true or false") for line in lines)
    assert "line 5: sku: SKU GOOD-1 is also on line 2." in lines
    assert any(
        line.startswith("line 6: sku: This shop already has a product with SKU OLD-1")
        for line in lines
    )
    assert "line 8: expected 8 values, found 2." in lines
    assert any(
        line.startswith("line 9: price: Ensure that there are no more than") for line in lines
    )
    assert not any(line.startswith(("line 2:", "line 7:", "line 11:")) for line in lines)
    assert "6 of 8 row(s)" in message and "nothing was imported" in message
    # Nothing from the file, not even its good rows or new tags.
    assert (Product.objects.count(), Tag.objects.count()) == before
    assert not Product.objects.filter(variants__sku__in=["GOOD-1", "FINE-1"]).exists()
    assert Product.objects.get(variants__sku="OLD-1").name == "Old"


def test_update_changes_existing_skus_and_creates_new_ones(tmp_path, shop, categories):
    old = ProductFactory(
        shop=shop,
        sku="HP-1",
        name="Old name",
        price="1.00",
        stock_quantity=1,
        tags=[TagFactory(name="vintage", slug="vintage")],
    )
    other_shop_product = ProductFactory(sku="HP-1", name="Another shop's")

    out, _err = run(csv_file(tmp_path, GOOD), "--shop", "alpha-audio", "--update")

    assert "1 updated" in out and "2 product(s) created" in out
    old.refresh_from_db()
    assert old.name == "Studio Headphones" and old.price == Decimal("129.00")
    assert old.stock_quantity == 12 and old.category == categories["audio"]
    assert sorted(tag.name for tag in old.tags.all()) == ["studio", "wireless"]
    assert old.slug.startswith("product-")  # the address of an existing product stays
    assert Product.objects.filter(shop=shop).count() == 3
    other_shop_product.refresh_from_db()
    assert other_shop_product.name == "Another shop's"


def test_importing_the_same_file_again_with_update_rewrites_nothing(tmp_path, shop, categories):
    path = csv_file(tmp_path, GOOD)
    run(path, "--shop", "alpha-audio")
    stamps = dict(Product.objects.values_list("variants__sku", "updated_at"))

    out, _err = run(path, "--shop", "alpha-audio", "--update")

    assert "0 product(s) created, 0 updated (3 unchanged), 0 new tag(s)" in out
    assert dict(Product.objects.values_list("variants__sku", "updated_at")) == stamps

    changed = GOOD.replace("Brass;studio", "Brass").replace("129.00", "119.00")
    out, _err = run(csv_file(tmp_path, changed, "changed.csv"), "--shop", "alpha-audio", "--update")
    assert "0 product(s) created, 2 updated (1 unchanged)" in out
    assert Product.objects.get(variants__sku="HP-1").price == Decimal("119.00")
    assert [tag.name for tag in Product.objects.get(variants__sku="LAMP-1").tags.all()] == ["Brass"]
    assert Product.objects.get(variants__sku="CABLE-1").updated_at == stamps["CABLE-1"]


def test_update_leaves_columns_the_file_does_not_have(tmp_path, shop):
    product = ProductFactory(
        shop=shop, sku="P-1", description="Kept", tags=[TagFactory(name="kept", slug="kept")]
    )
    path = csv_file(tmp_path, "sku,name,price,stock_quantity\nP-1,Renamed,2.50,4\n")

    run(path, "--shop", "alpha-audio", "--update")

    product.refresh_from_db()
    assert (product.name, product.price, product.stock_quantity) == ("Renamed", Decimal("2.50"), 4)
    assert product.description == "Kept"
    assert [tag.name for tag in product.tags.all()] == ["kept"]


def test_without_update_an_existing_sku_is_a_bad_row(tmp_path, shop, categories):
    ProductFactory(shop=shop, sku="HP-1")
    _message, err = run_failing(csv_file(tmp_path, GOOD), "--shop", "alpha-audio")
    assert err.splitlines() == [
        "line 2: sku: This shop already has a product with SKU HP-1 "
        "(--update changes existing products)."
    ]


def test_dry_run_checks_and_counts_but_writes_nothing(tmp_path, shop, categories):
    ProductFactory(shop=shop, sku="CABLE-1", name="Cable", price="9.00")
    before = (Product.objects.count(), Tag.objects.count())

    out, _err = run(csv_file(tmp_path, GOOD), "--shop", "alpha-audio", "--update", "--dry-run")

    assert "Dry run: all 3 row(s)" in out
    assert "2 product(s) would be created, 1 updated (0 unchanged), 3 new tag(s)" in out
    assert "Nothing was written." in out
    assert (Product.objects.count(), Tag.objects.count()) == before
    assert Product.objects.get(variants__sku="CABLE-1").price == Decimal("9.00")


def test_dry_run_of_a_bad_file_reports_its_rows(tmp_path, shop, categories):
    _message, err = run_failing(csv_file(tmp_path, BAD), "--shop", "alpha-audio", "--dry-run")
    assert "line 3: price: The price cannot be negative." in err.splitlines()


def test_an_unknown_shop_is_refused(tmp_path, shop):
    message, _err = run_failing(csv_file(tmp_path, GOOD), "--shop", "nope")
    assert message == "No shop has the slug “nope”."


def test_a_missing_file_is_refused(tmp_path, shop):
    message, _err = run_failing(tmp_path / "missing.csv", "--shop", "alpha-audio")
    assert message.startswith("Cannot read") and "No such file" in message


def test_a_wrong_header_is_explained(tmp_path, shop):
    path = csv_file(tmp_path, "title,cost,stock_quantity,sku\nLamp,1.00,1,L-1\n")
    message, _err = run_failing(path, "--shop", "alpha-audio")
    assert "Line 1 has unknown column(s) 'title', 'cost'; missing column(s) name, price" in message
    assert "The first line must name the columns" in message
    assert not Product.objects.exists()


def test_an_empty_file_is_explained(tmp_path, shop):
    message, _err = run_failing(csv_file(tmp_path, ""), "--shop", "alpha-audio")
    assert "The file is empty" in message


def test_a_file_that_is_not_utf8_is_explained(tmp_path, shop):
    path = csv_file(tmp_path, HEADER + "Café crème,,1.00,1,C-1,,,\n", encoding="latin-1")
    message, _err = run_failing(path, "--shop", "alpha-audio")
    assert "is not UTF-8 text (byte 0xe9 on line 2)" in message
    assert not Product.objects.exists()


def test_a_utf8_file_with_a_byte_order_mark_and_windows_line_ends_is_read(tmp_path, shop):
    text = "\ufeff" + (HEADER + "Café crème,,1.00,1,C-1,,,\n").replace("\n", "\r\n")
    out, _err = run(csv_file(tmp_path, text), "--shop", "alpha-audio")
    assert "1 product(s) created" in out
    assert Product.objects.get(variants__sku="C-1").name == "Café crème"


def test_products_with_the_same_name_get_their_own_addresses(tmp_path, shop):
    ProductFactory(name="Lamp", slug="lamp")
    path = csv_file(tmp_path, "name,price,stock_quantity,sku\nLamp,1.00,1,L-1\nLamp,2.00,1,L-2\n")
    run(path, "--shop", "alpha-audio")
    slugs = sorted(Product.objects.filter(shop=shop).values_list("slug", flat=True))
    assert slugs == ["lamp-l-1", "lamp-l-2"]


def test_a_category_name_two_categories_share_asks_for_the_slug(tmp_path, shop):
    CategoryFactory(name="Lamps", slug="lamps-home")
    CategoryFactory(name="Lamps", slug="lamps-office")
    path = csv_file(tmp_path, "name,price,stock_quantity,sku,category\nA,1,1,A-1,lamps\n")
    _message, err = run_failing(path, "--shop", "alpha-audio")
    assert err.splitlines() == [
        "line 2: category: Several categories are named “lamps”: give one's slug "
        "(lamps-home, lamps-office)."
    ]


def test_the_service_lets_only_the_shops_managers_import(shop):
    from catalog.services import ProductImportRow, products_import
    from shops.exceptions import ShopPermissionDenied
    from tests.factories import MembershipFactory, UserFactory

    rows = [
        ProductImportRow(
            line=2, values={"name": "A", "price": "1", "stock_quantity": "1", "sku": "A-1"}
        )
    ]
    with pytest.raises(ShopPermissionDenied):
        products_import(shop=shop, rows=rows, user=UserFactory())
    clerk = MembershipFactory(shop=shop, role="staff").user
    result = products_import(shop=shop, rows=rows, user=clerk)
    assert result.created == 1 and Product.objects.get(pk=result.product_ids[0]).sku == "A-1"
