"""The migrations to variants (catalog 0005-0007, cart 0002, orders 0002) on data of before:
every product gets exactly one variant with its SKU, price and stock (deleted with a
deleted product), and the cart lines and order lines of before point at it; nothing
else changes. The schema is migrated back, filled with the historical models, then
forward again, and always left at the latest migrations."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_VARIANTS = [
    ("catalog", "0004_product_list_indexes"),
    ("cart", "0001_initial"),
    ("orders", "0001_initial"),
]
MIGRATED_APPS = {app for app, _name in BEFORE_VARIANTS}
DELETED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
NOTIFIED_AT = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)


def latest(executor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


def state_before(executor):
    """The models as they were before variants: the targets above, every other app at
    its latest migration (the shops, users and payments of today)."""
    # Promotions, invoices, returns and recommendations came later and point at variants
    # and orders (or at catalog migrations after them): not there before them.
    later = {"promotions", "invoices", "returns", "recommendations"}
    others = [node for node in latest(executor) if node[0] not in MIGRATED_APPS | later]
    return executor.loader.project_state([*BEFORE_VARIANTS, *others]).apps


def fill(apps) -> dict:
    """Products (one soft-deleted, sharing a live one's SKU as the old rule allowed), a
    cart with lines and an order with lines, written with the historical models."""
    User = apps.get_model("accounts", "User")
    Shop = apps.get_model("shops", "Shop")
    Product = apps.get_model("catalog", "Product")
    Cart = apps.get_model("cart", "Cart")
    CartItem = apps.get_model("cart", "CartItem")
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    assert {field.name for field in Product._meta.get_fields()} >= {"sku", "stock_quantity"}
    assert "variant" not in {field.name for field in CartItem._meta.get_fields()}

    buyer = User.objects.create(email="old@example.com", password="!")
    shop = Shop.objects.create(name="Old Shop", slug="old-shop", approved_at=DELETED_AT)
    other = Shop.objects.create(name="Other Shop", slug="other-shop", approved_at=DELETED_AT)

    def product(slug, **fields):
        defaults = {"shop": shop, "name": slug.title(), "price": Decimal("10.00")}
        return Product.objects.create(slug=slug, **{**defaults, **fields})

    products = {
        "lamp": product("lamp", sku="LAMP-1", price=Decimal("24.50"), stock_quantity=7),
        "mug": product(
            "mug",
            sku="MUG-1",
            price=Decimal("7.25"),
            stock_quantity=0,
            is_active=False,
            low_stock_notified_at=NOTIFIED_AT,
        ),
        "old-lamp": product(
            "old-lamp",
            sku="LAMP-1",
            price=Decimal("19.00"),
            stock_quantity=3,
            is_active=False,
            deleted_at=DELETED_AT,
        ),
        "elsewhere": product("elsewhere", shop=other, sku="LAMP-1", stock_quantity=1),
    }
    cart = Cart.objects.create(user=buyer)
    CartItem.objects.create(
        cart=cart, product=products["lamp"], quantity=2, price_when_added=Decimal("24.50")
    )
    CartItem.objects.create(
        cart=cart, product=products["mug"], quantity=1, price_when_added=Decimal("7.00")
    )
    order = Order.objects.create(
        number="250101-OLD001",
        user=buyer,
        status="paid",
        subtotal=Decimal("68.00"),
        total=Decimal("68.00"),
        shipping_address={"city": "London"},
    )
    for key, quantity, unit_price, sku in (
        ("lamp", 2, Decimal("24.50"), "LAMP-OLD"),  # the SKU when it was sold
        ("old-lamp", 1, Decimal("19.00"), "LAMP-1"),
    ):
        OrderLine.objects.create(
            order=order,
            product=products[key],
            shop=shop,
            product_name=products[key].name,
            sku=sku,
            shop_name=shop.name,
            unit_price=unit_price,
            quantity=quantity,
            line_total=unit_price * quantity,
        )
    return {
        "products": {key: value.pk for key, value in products.items()},
        "order": order.pk,
        "cart": cart.pk,
    }


PRODUCT_COLUMNS = ("name", "slug", "price", "stock_quantity", "is_active", "deleted_at", "shop_id")
CART_COLUMNS = ("cart_id", "product_id", "quantity", "price_when_added")
LINE_COLUMNS = (
    "order_id",
    "product_id",
    "shop_id",
    "product_name",
    "sku",
    "shop_name",
    "unit_price",
    "quantity",
    "line_total",
)


def rows(apps) -> dict:
    """What must not change, read with these models (historical or current)."""
    Product = apps.get_model("catalog", "Product")
    CartItem = apps.get_model("cart", "CartItem")
    OrderLine = apps.get_model("orders", "OrderLine")
    Order = apps.get_model("orders", "Order")
    return {
        "products": list(Product.objects.order_by("pk").values_list("pk", *PRODUCT_COLUMNS)),
        "cart": list(CartItem.objects.order_by("pk").values_list("pk", *CART_COLUMNS)),
        "lines": list(OrderLine.objects.order_by("pk").values_list("pk", *LINE_COLUMNS)),
        "orders": list(Order.objects.values_list("pk", "number", "status", "total")),
        "users": apps.get_model("accounts", "User").objects.count(),
        "shops": apps.get_model("shops", "Shop").objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_every_product_of_before_gets_its_one_variant_and_lines_point_at_it():
    from catalog.models import Product as CurrentProduct

    # Back from variants works on an empty catalog only (catalog 0007 re-adds the
    # product's SKU column without a default): a transactional test starts empty.
    assert not CurrentProduct.objects.exists()
    executor = MigrationExecutor(connection)
    newest = latest(executor)
    try:
        executor.migrate(BEFORE_VARIANTS)
        old_apps = state_before(executor)
        made = fill(old_apps)
        before = rows(old_apps)

        executor.loader.build_graph()  # what is applied now
        executor.migrate(newest)
        apps = executor.loader.project_state(newest).apps

        assert rows(apps) == before  # nothing else changed
        Product = apps.get_model("catalog", "Product")
        Variant = apps.get_model("catalog", "ProductVariant")
        ids = made["products"]
        expected = {
            "lamp": ("LAMP-1", Decimal("24.50"), 7, None, None),
            "mug": ("MUG-1", Decimal("7.25"), 0, None, NOTIFIED_AT),
            "old-lamp": ("LAMP-1", Decimal("19.00"), 3, DELETED_AT, None),
            "elsewhere": ("LAMP-1", Decimal("10.00"), 1, None, None),
        }
        variants = {}
        for key, (sku, price, stock, deleted_at, notified_at) in expected.items():
            [variant] = Variant.objects.filter(product_id=ids[key])
            variants[key] = variant
            assert (
                variant.sku,
                variant.price,
                variant.stock_quantity,
                variant.deleted_at,
                variant.low_stock_notified_at,
            ) == (sku, price, stock, deleted_at, notified_at), key
            product = Product.objects.get(pk=ids[key])
            assert variant.shop_id == product.shop_id
            assert (variant.combination, variant.options_text, variant.is_active) == ("", "", True)
            assert variant.compare_at_price is None and variant.image_id is None
            assert variant.option_values.count() == 0
            assert (product.price_max, product.variant_count) == (product.price, 1), key
        assert Variant.objects.count() == 4
        assert not apps.get_model("catalog", "ProductOption").objects.exists()

        CartItem = apps.get_model("cart", "CartItem")
        assert {(item.product_id, item.variant_id) for item in CartItem.objects.all()} == {
            (ids["lamp"], variants["lamp"].pk),
            (ids["mug"], variants["mug"].pk),
        }
        OrderLine = apps.get_model("orders", "OrderLine")
        lines = {line.product_id: line for line in OrderLine.objects.all()}
        assert lines[ids["lamp"]].variant_id == variants["lamp"].pk
        assert lines[ids["old-lamp"]].variant_id == variants["old-lamp"].pk
        assert lines[ids["lamp"]].sku == "LAMP-OLD"  # the snapshot stays as it was
        assert {line.variant_options for line in lines.values()} == {""}
        assert not hasattr(Product.objects.get(pk=ids["lamp"]), "sku")

        # The current code reads the migrated rows as it reads its own.
        lamp = CurrentProduct.objects.get(pk=ids["lamp"])
        assert (lamp.sku, lamp.in_stock, lamp.has_price_range) == ("LAMP-1", True, False)
        assert CurrentProduct.objects.get(pk=ids["old-lamp"]).sku is None  # deleted
    finally:
        executor.loader.build_graph()
        executor.migrate(newest)
    assert set(MigrationExecutor(connection).loader.applied_migrations) >= set(newest)
