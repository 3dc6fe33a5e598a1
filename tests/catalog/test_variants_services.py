"""The variant services (catalog.services.variants): options, combinations, SKUs,
updates and removals, the product's summary, simple products, regenerating the
combinations from options, and who may change any of it."""

from decimal import Decimal

import pytest

from cart.services import cart_add_item, cart_get_for_user
from catalog.models import (
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductVariant,
)
from catalog.services import (
    options_clean,
    product_create,
    product_options_set,
    product_update,
    variant_create,
    variant_delete,
    variant_update,
    variants_generate,
)
from core.errors import DomainValidationError
from orders.models import OrderLine
from orders.services import order_place
from shops.exceptions import ShopPermissionDenied
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

pytestmark = pytest.mark.django_db

SIZE_COLOUR = [
    {"name": "Size", "values": ["S", "M"]},
    {"name": "Colour", "values": ["Red", "Blue"]},
]


def options(*pairs) -> list[dict]:
    return [{"name": name, "values": list(values)} for name, values in pairs]


def fields_of(error) -> dict:
    return error.value.extra["fields"]


def live(product) -> list[ProductVariant]:
    return list(
        ProductVariant.objects.filter(product=product, deleted_at=None).order_by("position", "pk")
    )


def by_text(product) -> dict[str, ProductVariant]:
    return {variant.options_text: variant for variant in live(product)}


def summary(product) -> tuple:
    product = Product.objects.get(pk=product.pk)
    return (product.price, product.price_max, product.stock_quantity, product.variant_count)


@pytest.fixture
def owner(shop_a, owner_a):
    return owner_a


def tee(shop, user=None, **extra) -> Product:
    """A T-shirt in two sizes and two colours, four variants, made through the service."""
    return product_create(
        user=user,
        shop=shop,
        data={
            "name": "Tee",
            "options": SIZE_COLOUR,
            "variants": [
                {
                    "sku": "TEE-S-RED",
                    "price": "10.00",
                    "stock_quantity": 3,
                    "options": {"Size": "S", "Colour": "Red"},
                },
                {
                    "sku": "TEE-S-BLUE",
                    "price": "11.00",
                    "stock_quantity": 0,
                    "options": {"Size": "S", "Colour": "Blue"},
                },
                {
                    "sku": "TEE-M-RED",
                    "price": "12.50",
                    "compare_at_price": "15.00",
                    "stock_quantity": 5,
                    "options": {"Size": "M", "Colour": "Red"},
                },
                {
                    "sku": "TEE-M-BLUE",
                    "price": "12.00",
                    "stock_quantity": 2,
                    "options": {"Size": "M", "Colour": "Blue"},
                },
            ],
            **extra,
        },
    )


# --- options_clean ---------------------------------------------------------------------


def test_options_clean_trims_names_and_values_and_keeps_their_order():
    assert options_clean([{"name": " Size ", "values": [" S", "M ", "L"]}, SIZE_COLOUR[1]]) == [
        ("Size", ["S", "M", "L"]),
        ("Colour", ["Red", "Blue"]),
    ]
    assert options_clean([]) == []


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Size: S", "options"),
        (options(("A", "1"), ("B", "1"), ("C", "1"), ("D", "1")), "options"),  # more than 3
        (options(("Size", "SM"), ("size", "LX")), "options.1.name"),  # duplicate names
        (options(("Size", ["S", " "])), "options.0.values.1"),  # a blank value
        (options(("Size", ["S", "M", "s"])), "options.0.values.2"),  # a duplicate value
        (options(("", ["S"])), "options.0.name"),
        (options(("Size", [])), "options.0.values"),
        ([{"name": "Size", "values": "S, M"}], "options.0.values"),
        (["Size"], "options.0"),
        (options(("Size", ["x" * 101])), "options.0.values.0"),
    ],
)
def test_options_clean_names_the_field_at_fault(raw, key):
    with pytest.raises(DomainValidationError) as error:
        options_clean(raw)
    assert list(fields_of(error)) == [key]
    assert fields_of(error)[key] == [error.value.detail]


# --- Creating a product with options and variants --------------------------------------


def test_product_create_with_options_and_variants(shop_a, owner):
    product = tee(shop_a, owner)

    assert [(o.name, [v.value for v in o.values.all()]) for o in product.options.all()] == [
        ("Size", ["S", "M"]),
        ("Colour", ["Red", "Blue"]),
    ]
    variants = live(product)
    assert [(v.sku, v.options_text, v.price, v.stock_quantity) for v in variants] == [
        ("TEE-S-RED", "Size: S / Colour: Red", Decimal("10.00"), 3),
        ("TEE-S-BLUE", "Size: S / Colour: Blue", Decimal("11.00"), 0),
        ("TEE-M-RED", "Size: M / Colour: Red", Decimal("12.50"), 5),
        ("TEE-M-BLUE", "Size: M / Colour: Blue", Decimal("12.00"), 2),
    ]
    assert variants[2].compare_at_price == Decimal("15.00") and variants[2].is_discounted
    assert all(v.shop_id == shop_a.pk and v.is_active for v in variants)
    # The combination is the ids of its values, in the options' order.
    size_m = ProductOptionValue.objects.get(option__product=product, value="M")
    red = ProductOptionValue.objects.get(option__product=product, value="Red")
    assert variants[2].combination == f"{size_m.pk}-{red.pk}"
    assert set(variants[2].option_values.all()) == {size_m, red}
    # The summary: lowest and highest active price, stock together, how many.
    assert summary(product) == (Decimal("10.00"), Decimal("12.50"), 10, 4)
    assert product.sku is None  # several variants: no one SKU
    assert product.slug == "tee"


def test_option_names_and_values_match_whatever_the_case(shop_a):
    product = product_create(
        user=None,
        shop=shop_a,
        data={
            "name": "Mug",
            "options": options(("Colour", ["Red", "Blue"])),
            "variants": [
                {"price": "5", "options": {"colour": "RED"}},
                {"price": "6", "options": {" COLOUR ": " blue "}},
            ],
        },
    )
    assert [v.options_text for v in live(product)] == ["Colour: Red", "Colour: Blue"]
    assert all(v.sku.startswith(f"{shop_a.slug[:12].upper()}-") for v in live(product))


def test_a_simple_product_gets_one_variant(shop_a):
    product = product_create(
        user=None,
        shop=shop_a,
        data={"name": "Lamp", "price": "20", "sku": "LAMP-1", "stock_quantity": 4},
    )
    [variant] = live(product)
    assert (variant.sku, variant.price, variant.stock_quantity) == ("LAMP-1", Decimal("20.00"), 4)
    assert (variant.combination, variant.options_text) == ("", "")
    assert summary(product) == (Decimal("20.00"), Decimal("20.00"), 4, 1)
    assert product.sku == "LAMP-1"


def _variant(size="S", colour="Red", **fields) -> dict:
    return {"price": "10.00", "options": {"Size": size, "Colour": colour}, **fields}


def _many_variants(count: int) -> tuple[list[dict], list[dict]]:
    first = [str(number) for number in range(30)]
    second = [str(number) for number in range(20)]
    items = [{"price": "1.00", "options": {"A": a, "B": b}} for a in first for b in second][:count]
    return options(("A", first), ("B", second)), items


@pytest.mark.parametrize(
    ("variants", "key", "words"),
    [
        ([_variant(), _variant("XL")], "variants.1.options", "'XL' is not a value of Size"),
        ([_variant(), _variant()], "variants.1.options", "Two variants have the same options"),
        ([_variant(), {"price": "1", "options": {"Size": "M"}}], "variants.1.options", "Colour"),
        (
            [{"price": "1", "options": {"Size": "S", "Colour": "Red", "Fit": "Slim"}}],
            "variants.0.options",
            "no option 'fit'",
        ),
        ([{"price": "1"}], "variants.0.options", "Choose the variant's options"),
        ([{"options": {"Size": "S", "Colour": "Red"}}], "variants.0.price", "price"),
        ([_variant(price="-1")], "variants.0.price", "cannot be negative"),
        ([_variant(stock_quantity=-2)], "variants.0.stock_quantity", "whole number"),
        ([_variant(colour="Blue"), _variant(weight=3)], "variants.1", "Unknown field 'weight'"),
        ([], "variants", "at least one variant"),
    ],
)
def test_bad_combinations_are_refused_with_the_field_at_fault(shop_a, variants, key, words):
    with pytest.raises(DomainValidationError) as error:
        product_create(
            user=None,
            shop=shop_a,
            data={"name": "Tee", "options": SIZE_COLOUR, "variants": variants},
        )
    assert list(fields_of(error)) == [key]
    assert words in fields_of(error)[key][0]
    assert not Product.objects.exists()
    assert not ProductVariant.objects.exists()


def test_at_most_500_variants(shop_a):
    option_list, items = _many_variants(501)
    with pytest.raises(DomainValidationError) as error:
        product_create(
            user=None, shop=shop_a, data={"name": "Many", "options": option_list, "variants": items}
        )
    assert fields_of(error) == {"variants": ["A product has at most 500 variants."]}
    assert not ProductVariant.objects.exists()

    option_list, items = _many_variants(500)
    product = product_create(
        user=None, shop=shop_a, data={"name": "Many", "options": option_list, "variants": items}
    )
    assert summary(product)[3] == 500
    assert len({v.sku for v in live(product)}) == 500


def test_a_product_without_options_has_one_variant(shop_a):
    product = ProductFactory(shop=shop_a)
    with pytest.raises(DomainValidationError) as error:
        variant_create(user=None, product=product, data={"price": "3"})
    assert "without options has one variant" in fields_of(error)["variants"][0]
    assert len(live(product)) == 1


# --- SKUs ------------------------------------------------------------------------------


def test_skus_are_unique_among_the_shops_live_variants(shop_a, shop_b):
    product = tee(shop_a)
    other = ProductFactory(shop=shop_a, sku="LAMP-1")

    # Another product of the shop (its one variant) cannot take a variant's SKU...
    with pytest.raises(DomainValidationError) as error:
        product_update(user=None, product=other, data={"sku": "TEE-M-RED"})
    assert fields_of(error) == {"sku": ["This shop already has a product with SKU TEE-M-RED."]}
    # ...nor a variant of the product itself, nor two variants of one write.
    with pytest.raises(DomainValidationError) as error:
        variant_update(user=None, variant=live(product)[0], data={"sku": "LAMP-1"})
    assert list(fields_of(error)) == ["variants.0.sku"]
    variants = by_text(product)
    with pytest.raises(DomainValidationError) as error:
        product_update(
            user=None,
            product=product,
            data={
                "variants": [
                    {"id": v.pk, "sku": "SAME" if v.options_text.endswith("Red") else v.sku}
                    for v in live(product)
                ]
            },
        )
    assert list(fields_of(error)) == ["variants.2.sku"]
    assert by_text(product)["Size: M / Colour: Red"].sku == "TEE-M-RED"

    # Another shop may use the same SKU.
    elsewhere = tee(shop_b)
    assert {v.sku for v in live(elsewhere)} == {v.sku for v in variants.values()}


def test_a_removed_variant_frees_its_sku(shop_a):
    product = tee(shop_a)
    variants = by_text(product)
    gone = variants["Size: S / Colour: Blue"]
    variant_delete(user=None, variant=gone)

    lamp = product_create(
        user=None, shop=shop_a, data={"name": "Lamp", "price": "1", "sku": "TEE-S-BLUE"}
    )
    assert lamp.sku == "TEE-S-BLUE"
    gone.refresh_from_db()
    assert gone.deleted_at is not None and gone.sku == "TEE-S-BLUE"

    # In one write: the variant removed gives its SKU to the one created.
    keep = [{"id": v.pk} for v in live(product) if v.sku != "TEE-M-BLUE"]
    product_update(
        user=None,
        product=product,
        data={"variants": [*keep, _variant("M", "Blue", sku="TEE-M-BLUE", price="9")]},
    )
    assert by_text(product)["Size: M / Colour: Blue"].pk != variants["Size: M / Colour: Blue"].pk
    assert by_text(product)["Size: M / Colour: Blue"].sku == "TEE-M-BLUE"


def test_two_variants_swap_skus_and_combinations_in_one_write(shop_a):
    product = tee(shop_a)
    variants = by_text(product)
    s_red, m_red = variants["Size: S / Colour: Red"], variants["Size: M / Colour: Red"]

    product_update(
        user=None,
        product=product,
        data={
            "variants": [
                {"id": v.pk}
                if v.pk not in (s_red.pk, m_red.pk)
                else {"id": v.pk, "sku": m_red.sku if v.pk == s_red.pk else s_red.sku}
                for v in live(product)
            ]
        },
    )
    s_red.refresh_from_db()
    m_red.refresh_from_db()
    assert (s_red.sku, m_red.sku) == ("TEE-M-RED", "TEE-S-RED")

    # A combination another variant has is refused; two variants swap theirs in one write.
    with pytest.raises(DomainValidationError) as error:
        variant_update(user=None, variant=s_red, data={"options": {"Size": "M", "Colour": "Red"}})
    assert fields_of(error) == {
        "variants.0.options": ["Two variants have the same options (Size: M / Colour: Red)."]
    }
    with pytest.raises(DomainValidationError) as error:  # a sibling's SKU: blamed on s_red
        variant_update(user=None, variant=s_red, data={"sku": "TEE-M-BLUE"})
    assert fields_of(error) == {
        "variants.0.sku": ["This shop already has a product with SKU TEE-M-BLUE."]
    }
    product_update(
        user=None,
        product=product,
        data={
            "variants": [
                {"id": v.pk}
                if v.pk not in (s_red.pk, m_red.pk)
                else {
                    "id": v.pk,
                    "options": {"Size": "M" if v.pk == s_red.pk else "S", "Colour": "Red"},
                }
                for v in live(product)
            ]
        },
    )
    texts = {v.sku: v.options_text for v in live(product)}
    assert texts == {
        "TEE-M-RED": "Size: M / Colour: Red",  # s_red, which has M/Red's SKU now
        "TEE-S-RED": "Size: S / Colour: Red",
        "TEE-S-BLUE": "Size: S / Colour: Blue",
        "TEE-M-BLUE": "Size: M / Colour: Blue",
    }
    s_red.refresh_from_db()
    assert (s_red.sku, s_red.options_text) == ("TEE-M-RED", "Size: M / Colour: Red")


# --- Updating and removing ---------------------------------------------------------------


def test_update_by_id_and_remove_the_missing_ones_orders_keep_theirs(shop_a):
    product = tee(shop_a)
    variants = by_text(product)
    s_red, m_red = variants["Size: S / Colour: Red"], variants["Size: M / Colour: Red"]
    m_blue = variants["Size: M / Colour: Blue"]
    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, variant=m_blue, quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())

    result = product_update(
        user=None,
        product=product,
        data={
            "variants": [
                {"id": s_red.pk, "price": "9.00", "stock_quantity": 8},
                {"id": m_red.pk, "is_active": False},
                _variant("S", "Blue", sku="TEE-S-BLUE-2", price="20", stock_quantity=1),
            ]
        },
    )

    assert [(v.sku, v.price, v.stock_quantity, v.is_active) for v in live(product)] == [
        ("TEE-S-RED", Decimal("9.00"), 8, True),
        ("TEE-M-RED", Decimal("12.50"), 5, False),
        ("TEE-S-BLUE-2", Decimal("20.00"), 1, True),
    ]
    removed = ProductVariant.objects.filter(product=product, deleted_at__isnull=False)
    assert {v.sku for v in removed} == {"TEE-S-BLUE", "TEE-M-BLUE"}
    assert all(not v.is_active for v in removed)
    line = OrderLine.objects.get(order=order)
    assert (line.variant_id, line.sku, line.variant_options) == (
        m_blue.pk,
        "TEE-M-BLUE",
        "Size: M / Colour: Blue",
    )
    # The summary counts the active variants only (M/Red is inactive).
    assert (result.price, result.price_max, result.stock_quantity, result.variant_count) == (
        Decimal("9.00"),
        Decimal("20.00"),
        9,
        2,
    )


def test_an_id_of_another_product_or_listed_twice_is_refused(shop_a):
    product = tee(shop_a)
    other = ProductFactory(shop=shop_a)
    first = live(product)[0]
    for ids, key in (
        ([other.variants.get().pk], "variants.0.id"),
        ([first.pk] * 2, "variants.1.id"),
    ):
        with pytest.raises(DomainValidationError) as error:
            product_update(
                user=None, product=product, data={"variants": [{"id": pk} for pk in ids]}
            )
        assert list(fields_of(error)) == [key]
    assert len(live(product)) == 4


def test_the_summary_follows_every_write(shop_a):
    product = tee(shop_a)
    assert summary(product) == (Decimal("10.00"), Decimal("12.50"), 10, 4)
    variants = by_text(product)

    variant_update(user=None, variant=variants["Size: M / Colour: Blue"], data={"price": "8.00"})
    assert summary(product) == (Decimal("8.00"), Decimal("12.50"), 10, 4)

    variant_update(user=None, variant=variants["Size: M / Colour: Red"], data={"is_active": False})
    assert summary(product) == (Decimal("8.00"), Decimal("11.00"), 5, 3)

    variant_update(
        user=None, variant=variants["Size: S / Colour: Blue"], data={"stock_quantity": 40}
    )
    assert summary(product) == (Decimal("8.00"), Decimal("11.00"), 45, 3)

    variant_delete(user=None, variant=variants["Size: S / Colour: Red"])
    assert summary(product) == (Decimal("8.00"), Decimal("11.00"), 42, 2)

    created = variant_create(
        user=None, product=product, data=_variant(price="30", stock_quantity=1)
    )
    assert created.options_text == "Size: S / Colour: Red" and created.pk not in {
        v.pk for v in variants.values()
    }
    assert summary(product) == (Decimal("8.00"), Decimal("30.00"), 43, 3)

    # No active variant at all: the prices stay, no stock, none on sale.
    product_update(
        user=None,
        product=product,
        data={"variants": [{"id": v.pk, "is_active": False} for v in live(product)]},
    )
    assert summary(product) == (Decimal("8.00"), Decimal("30.00"), 0, 0)


def test_a_simple_products_price_sku_and_stock_write_its_one_variant(shop_a):
    product = ProductFactory(shop=shop_a, sku="LAMP-1", price="20.00", stock_quantity=3)
    [variant] = live(product)

    updated = product_update(
        user=None, product=product, data={"price": "24.50", "sku": "LAMP-2", "stock_quantity": 9}
    )

    variant.refresh_from_db()
    assert (variant.sku, variant.price, variant.stock_quantity) == ("LAMP-2", Decimal("24.50"), 9)
    assert (updated.price, updated.price_max, updated.stock_quantity, updated.sku) == (
        Decimal("24.50"),
        Decimal("24.50"),
        9,
        "LAMP-2",
    )
    # Errors name the product's own field, as the caller sent it.
    with pytest.raises(DomainValidationError) as error:
        product_update(user=None, product=product, data={"price": "-1"})
    assert list(fields_of(error)) == ["price"]


@pytest.mark.parametrize("field", ["price", "sku", "stock_quantity"])
def test_a_multi_variant_product_refuses_a_price_sku_or_stock_of_its_own(shop_a, field):
    product = tee(shop_a)
    value = {"price": "1.00", "sku": "ONE", "stock_quantity": 1}[field]
    with pytest.raises(DomainValidationError) as error:
        product_update(user=None, product=product, data={field: value})
    assert list(fields_of(error)) == [field]
    assert "has variants" in fields_of(error)[field][0]
    # Nor beside `variants` in the same write.
    with pytest.raises(DomainValidationError) as error:
        product_update(
            user=None,
            product=product,
            data={field: value, "variants": [{"id": v.pk} for v in live(product)]},
        )
    assert list(fields_of(error)) == [field]
    assert summary(product) == (Decimal("10.00"), Decimal("12.50"), 10, 4)


# --- product_options_set and variants_generate -------------------------------------------


def test_options_on_a_simple_product_make_its_one_variant_the_first_combination(shop_a):
    product = ProductFactory(shop=shop_a, sku="LAMP-1", price="20.00", stock_quantity=7)
    [before] = live(product)

    added = product_options_set(
        user=None,
        product=product,
        options=options(("Size", ["S", "M"]), ("Colour", ["Red", "Blue"])),
        stock_quantity=2,
    )

    assert added == 3
    variants = live(product)
    assert [(v.options_text, v.stock_quantity, v.price) for v in variants] == [
        ("Size: S / Colour: Red", 7, Decimal("20.00")),
        ("Size: S / Colour: Blue", 2, Decimal("20.00")),
        ("Size: M / Colour: Red", 2, Decimal("20.00")),
        ("Size: M / Colour: Blue", 2, Decimal("20.00")),
    ]
    assert (variants[0].pk, variants[0].sku) == (before.pk, "LAMP-1")
    assert len({v.sku for v in variants}) == 4
    assert summary(product) == (Decimal("20.00"), Decimal("20.00"), 13, 4)


def test_options_set_keeps_variants_whose_values_stay_adds_and_removes(shop_a):
    product = ProductFactory(shop=shop_a, sku="TEE", options=[("Size", ["S", "M", "L"])])
    for stock, variant in enumerate(live(product), start=1):
        variant_update(user=None, variant=variant, data={"stock_quantity": stock})
    s, m, large = live(product)

    # A value added: a variant for it, priced as given; the others untouched.
    assert (
        product_options_set(
            user=None,
            product=product,
            options=options(("Size", ["S", "M", "L", "XL"])),
            price="25.00",
            stock_quantity=4,
        )
        == 1
    )
    assert [(v.pk, v.sku, v.options_text, v.stock_quantity) for v in live(product)[:3]] == [
        (s.pk, "TEE-1", "Size: S", 1),
        (m.pk, "TEE-2", "Size: M", 2),
        (large.pk, "TEE-3", "Size: L", 3),
    ]
    xl = live(product)[3]
    assert (xl.options_text, xl.price, xl.stock_quantity) == ("Size: XL", Decimal("25.00"), 4)

    # A value gone (and reordered values): its variant is removed, the others stay.
    assert (
        product_options_set(user=None, product=product, options=options(("Size", ["XL", "M", "S"])))
        == 0
    )
    assert {v.pk: v.options_text for v in live(product)} == {
        s.pk: "Size: S",
        m.pk: "Size: M",
        xl.pk: "Size: XL",
    }
    large.refresh_from_db()
    assert large.deleted_at is not None
    assert summary(product) == (Decimal("19.99"), Decimal("25.00"), 7, 3)
    option = ProductOption.objects.get(product=product)
    assert [v.value for v in option.values.all()] == ["XL", "M", "S"]


def test_adding_an_option_keeps_each_variant_on_its_own_values(shop_a):
    """Each variant of "Size" becomes its size in the first colour, with its SKU and
    stock: the medium's stock is not sold as a small blue one."""
    product = ProductFactory(shop=shop_a, sku="TEE", options=[("Size", ["S", "M", "L"])])
    for stock, variant in enumerate(live(product), start=1):
        variant_update(user=None, variant=variant, data={"stock_quantity": stock})
    before = {v.options_text: v for v in live(product)}

    added = product_options_set(
        user=None,
        product=product,
        options=options(("Size", ["S", "M", "L"]), ("Colour", ["Red", "Blue"])),
    )

    assert added == 3
    after = {v.options_text: v for v in live(product)}
    for size, stock in (("S", 1), ("M", 2), ("L", 3)):
        kept = after[f"Size: {size} / Colour: Red"]
        assert (kept.pk, kept.sku, kept.stock_quantity) == (
            before[f"Size: {size}"].pk,
            before[f"Size: {size}"].sku,
            stock,
        )
        assert after[f"Size: {size} / Colour: Blue"].stock_quantity == 0
    assert summary(product)[2:] == (6, 6)

    # Dropping the option again: one variant per size stays (the first of each).
    product_options_set(user=None, product=product, options=options(("Size", ["S", "M", "L"])))
    assert [(v.pk, v.options_text, v.stock_quantity) for v in live(product)] == [
        (before["Size: S"].pk, "Size: S", 1),
        (before["Size: M"].pk, "Size: M", 2),
        (before["Size: L"].pk, "Size: L", 3),
    ]


def test_options_set_refuses_more_than_500_combinations(shop_a):
    product = ProductFactory(shop=shop_a)
    values = [str(number) for number in range(100)]
    with pytest.raises(DomainValidationError) as error:
        product_options_set(
            user=None, product=product, options=options(("A", values), ("B", values[:6]))
        )
    assert "600 combinations" in fields_of(error)["options"][0]
    assert len(live(product)) == 1 and not ProductOption.objects.exists()


def test_variants_generate_adds_the_missing_combinations(shop_a, owner):
    product = tee(shop_a)
    variant_delete(user=owner, variant=by_text(product)["Size: M / Colour: Blue"])
    variant_delete(user=owner, variant=by_text(product)["Size: S / Colour: Red"])

    assert variants_generate(user=owner, product=product, stock_quantity=6) == 2
    assert variants_generate(user=owner, product=product) == 0

    variants = by_text(product)
    assert set(variants) == {
        "Size: S / Colour: Red",
        "Size: S / Colour: Blue",
        "Size: M / Colour: Red",
        "Size: M / Colour: Blue",
    }
    # At the product's lowest price (11.00 once 10.00 was removed), with the stock given.
    assert (
        variants["Size: S / Colour: Red"].price,
        variants["Size: S / Colour: Red"].stock_quantity,
    ) == (
        Decimal("11.00"),
        6,
    )
    assert variants["Size: M / Colour: Red"].sku == "TEE-M-RED"


# --- Removing ----------------------------------------------------------------------------


def test_variant_delete_refuses_the_last_variant(shop_a, owner):
    product = ProductFactory(shop=shop_a)
    [variant] = live(product)
    with pytest.raises(DomainValidationError) as error:
        variant_delete(user=owner, variant=variant)
    assert fields_of(error) == {"variants": ["A product keeps at least one variant."]}

    product = tee(shop_a)
    *others, last = live(product)
    for variant in others:
        variant_delete(user=owner, variant=variant)
    with pytest.raises(DomainValidationError):
        variant_delete(user=owner, variant=last)
    assert live(product) == [last]
    assert summary(product) == (Decimal("12.00"), Decimal("12.00"), 2, 1)


# --- Who may ---------------------------------------------------------------------------


def test_only_the_shops_members_and_staff_change_variants(shop_a, shop_b, owner_b, clerk_a):
    product = tee(shop_a)
    variant = live(product)[0]
    customer = UserFactory()
    for outsider in (customer, owner_b):
        attempts = [
            lambda user: variant_create(user=user, product=product, data=_variant()),
            lambda user: variant_update(user=user, variant=variant, data={"price": "1"}),
            lambda user: variant_delete(user=user, variant=variant),
            lambda user: variants_generate(user=user, product=product),
            lambda user: product_options_set(
                user=user, product=product, options=options(("Size", ["S"]))
            ),
            lambda user: product_update(
                user=user, product=product, data={"variants": [{"id": variant.pk}]}
            ),
        ]
        for attempt in attempts:
            with pytest.raises(ShopPermissionDenied):
                attempt(outsider)
    assert len(live(product)) == 4
    assert ProductVariant.objects.get(pk=variant.pk).price == Decimal("10.00")

    # A shop's staff member (not only its owners) may.
    variant_update(user=clerk_a, variant=variant, data={"price": "1"})
    assert ProductVariant.objects.get(pk=variant.pk).price == Decimal("1.00")
    staff_member = MembershipFactory(shop=ShopFactory(), role="staff").user
    with pytest.raises(ShopPermissionDenied):
        variant_update(user=staff_member, variant=variant, data={"price": "2"})


def test_a_variants_image_is_one_of_its_products(shop_a):
    product = tee(shop_a)
    own = ProductImage.objects.create(product=product, image="products/x/a.png", width=1, height=1)
    other = ProductImage.objects.create(
        product=ProductFactory(shop=shop_a), image="products/y/b.png", width=1, height=1
    )
    s_red = live(product)[0]

    with pytest.raises(DomainValidationError) as error:
        variant_update(user=None, variant=s_red, data={"image_id": other.pk})
    assert list(fields_of(error)) == ["variants.0.image_id"]

    variant_update(user=None, variant=s_red, data={"image_id": own.pk})
    assert ProductVariant.objects.get(pk=s_red.pk).image_id == own.pk
    own.delete()  # the variant shows the product's pictures again
    assert ProductVariant.objects.get(pk=s_red.pk).image_id is None
