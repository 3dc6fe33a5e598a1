"""`manage.py import_products` reads Shopify's product CSV export: one row per variant,
the product's columns on the first row of its handle; all or nothing, as our own format."""

import shutil
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product, ProductVariant, Tag
from catalog.selectors import product_list_public, product_search
from tests.factories import CategoryFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db

EXPORT = Path(__file__).parent / "data" / "shopify_3x12.csv"  # 3 products x 12 variants


@pytest.fixture
def shop():
    return ShopFactory(name="Northwind Outfitters", slug="northwind")


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_products", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args) -> tuple[str, str]:
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_products", *map(str, args), stdout=StringIO(), stderr=err)
    return str(error.value), err.getvalue()


def test_an_export_of_three_products_with_twelve_variants_imports(shop):
    CategoryFactory(name="T-Shirts", slug="t-shirts")
    out, err = run(EXPORT, "--shop", "northwind")

    assert "Imported 36 row(s)" in out and "3 product(s) created" in out
    assert "Columns ignored: Product Category" in err and "Image Src" in err
    assert "no category is named “Jackets”" in err  # a warning, not an error
    products = {product.name: product for product in Product.objects.filter(shop=shop)}
    assert set(products) == {"Organic Tee", "Merino Hoodie", "Trail Sock"}

    tee = products["Organic Tee"]
    assert tee.description == "Soft organic cotton & a relaxed fit."  # HTML made text
    assert tee.category.slug == "t-shirts" and tee.category_id
    assert sorted(tag.name for tag in tee.tags.all()) == ["Northwind", "basics", "cotton"]
    assert [(o.name, [v.value for v in o.values.all()]) for o in tee.options.all()] == [
        ("Size", ["S", "M", "L", "XL"]),
        ("Colour", ["Black", "Sand", "Forest"]),
    ]
    variants = list(tee.variants.order_by("position", "pk"))
    assert len(variants) == 12
    first, last = variants[0], variants[-1]
    assert (first.sku, first.options_text, first.price, first.stock_quantity) == (
        "ORGANIC-TEE-S-BLA",
        "Size: S / Colour: Black",
        Decimal("25.00"),
        2,
    )
    assert (last.sku, last.options_text, last.price) == (
        "ORGANIC-TEE-XL-FOR",
        "Size: XL / Colour: Forest",
        Decimal("27.00"),
    )
    assert (tee.price, tee.price_max, tee.variant_count) == (
        Decimal("25.00"),
        Decimal("27.00"),
        12,
    )
    assert tee.stock_quantity == sum(2 * n for n in range(1, 13))
    # Shopify's grams become the variant's weight in kg, for weight-based shipping.
    assert first.weight_kg == Decimal("0.200") and first.effective_tax_class == "standard"
    hoodie = products["Merino Hoodie"]
    assert hoodie.variants.first().compare_at_price == Decimal("109.00")
    assert products["Trail Sock"].is_active is False  # Published FALSE
    # Findable by a variant's SKU (the search words include them).
    found = product_search(product_list_public(), "ORGANIC-TEE-M-SAN")
    assert list(found) == [tee]


def test_a_bad_row_writes_nothing_and_every_problem_names_its_line(tmp_path, shop):
    lines = EXPORT.read_text().splitlines()
    header = lines[0].split(",")
    price = header.index("Variant Price")
    stock = header.index("Variant Inventory Qty")
    option = header.index("Option1 Value")
    bad = [row.split(",") for row in lines[1:]]
    bad[2][price] = "cheap"  # line 4
    bad[5][stock] = "-3"  # line 7
    bad[7][option] = ""  # line 9: a variant without its Size
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([lines[0], *(",".join(row) for row in bad)]) + "\n")

    message, err = run_failing(path, "--shop", "northwind")

    assert "nothing was imported" in message
    assert "line 4: Variant Price: Enter a price, not “cheap”." in err.splitlines()
    assert "line 7: Variant Inventory Qty: Stock is 0 or more here." in err.splitlines()
    assert "line 9: Option1 Value: Give a Size." in err.splitlines()
    assert not Product.objects.filter(shop=shop).exists()
    assert not ProductVariant.objects.filter(shop=shop).exists()


def test_a_service_rule_refused_in_the_middle_undoes_the_products_before_it(tmp_path, shop):
    # The same Size and Colour twice for one handle: only the variant rules (in the
    # product services) can tell, after the first two products were written.
    lines = EXPORT.read_text().splitlines()
    header = lines[0].split(",")
    sku = header.index("Variant SKU")
    rows = [row.split(",") for row in lines[1:]]
    hoodie_rows = [index for index, row in enumerate(rows) if row[0] == "trail-sock"]
    duplicate = list(rows[hoodie_rows[1]])
    duplicate[sku] = "TRAIL-SOCK-AGAIN"
    rows.insert(hoodie_rows[1] + 1, duplicate)
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([lines[0], *(",".join(row) for row in rows)]) + "\n")

    _message, err = run_failing(path, "--shop", "northwind")

    assert "Two variants have the same options (Size: S / Colour: Sand)." in err
    assert Product.objects.filter(shop=shop).count() == 0  # the first two rolled back


def test_a_second_import_with_update_changes_the_variants_by_sku(tmp_path, shop):
    run(EXPORT, "--shop", "northwind")
    tee = Product.objects.get(name="Organic Tee")
    ids = dict(tee.variants.values_list("sku", "pk"))
    changed = tmp_path / "again.csv"
    text = EXPORT.read_text().replace(",25.00,", ",26.00,")
    changed.write_text(text)

    _message, err = run_failing(changed, "--shop", "northwind")  # without --update: refused
    assert "This shop already has a product with SKU ORGANIC-TEE-S-BLA" in err

    out, _err = run(changed, "--shop", "northwind", "--update")
    assert "0 product(s) created, 3 updated" in out
    tee.refresh_from_db()
    assert tee.price == Decimal("26.00")
    assert dict(tee.variants.filter(deleted_at=None).values_list("sku", "pk")) == ids


def test_a_dry_run_checks_every_rule_and_writes_nothing(shop):
    out, _err = run(EXPORT, "--shop", "northwind", "--dry-run")
    assert "Dry run: all 36 row(s)" in out and "3 product(s) would be created" in out
    assert not Product.objects.filter(shop=shop).exists()
    assert not Tag.objects.filter(name="Northwind").exists()


def test_a_product_without_options_has_shopify_s_default_title(tmp_path, shop):
    ProductFactory(shop=ShopFactory(), sku="MUG-1")  # another shop's SKU is no conflict
    path = tmp_path / "simple.csv"
    path.write_text(
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,"
        "Variant Inventory Qty\n"
        "mug,Mug,Title,Default Title,MUG-1,9.50,4\n"
    )
    run(path, "--shop", "northwind")
    mug = Product.objects.get(shop=shop)
    assert mug.options.count() == 0
    assert (mug.sku, mug.price, mug.stock_quantity) == ("MUG-1", Decimal("9.50"), 4)


def test_a_file_that_is_not_an_export_is_refused_before_anything(tmp_path, shop):
    path = tmp_path / "nohead.csv"
    shutil.copy(EXPORT, path)
    path.write_text("Handle,Colour\nx,y\n")
    message, _err = run_failing(path, "--shop", "northwind")
    assert "missing Shopify's column(s) Title, Variant Price" in message


def test_grams_and_taxable_come_across_and_bad_ones_name_their_line(tmp_path, shop):
    path = tmp_path / "taxable.csv"
    header = (
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,"
        "Variant Inventory Qty,Variant Grams,Variant Taxable\n"
    )
    path.write_text(header + "card,Gift Card,Title,Default Title,CARD-1,10.00,5,0,FALSE\n")
    run(path, "--shop", "northwind")
    card = Product.objects.get(shop=shop).variants.get()
    assert (card.weight_kg, card.effective_tax_class) == (Decimal("0.000"), "exempt")

    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + "lamp,Lamp,Title,Default Title,LAMP-1,20.00,5,heavy,TRUE\n"
        + "desk,Desk,Title,Default Title,DESK-1,90.00,5,1000,maybe\n"
    )
    _out, err = run_failing(bad, "--shop", "northwind")
    assert "line 2: Variant Grams: Enter a weight in grams, not “heavy”." in err.splitlines()
    assert "line 3: Variant Taxable: Write TRUE or FALSE." in err.splitlines()
    assert Product.objects.filter(shop=shop).count() == 1
