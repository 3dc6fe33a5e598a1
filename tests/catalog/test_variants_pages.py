"""Variants on the storefront pages (the product page's pickers and select, `?variant=`,
the cards' "from" price, adding a variant to the cart, the cart's option text) and in
the admin (the variants table, the bulk edit list, generating combinations, the
options text), every save through catalog.services."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from cart.models import CartItem
from catalog.models import Product, ProductVariant
from catalog.services import product_create
from tests.factories import ProductFactory, ShopFactory, UserFactory

pytestmark = pytest.mark.django_db

SIZE_COLOUR = [
    {"name": "Size", "values": ["S", "M"]},
    {"name": "Colour", "values": ["Red", "Blue"]},
]


@pytest.fixture
def tee():
    """S/Red sold out, S/Blue 11.00 (regular price 14.00) with 4, M/Red 12.00 with 9,
    M/Blue 13.00 sold out."""
    rows = [
        ("TEE-S-RED", "S", "Red", "10.00", None, 0),
        ("TEE-S-BLUE", "S", "Blue", "11.00", "14.00", 4),
        ("TEE-M-RED", "M", "Red", "12.00", None, 9),
        ("TEE-M-BLUE", "M", "Blue", "13.00", None, 0),
    ]
    return product_create(
        user=None,
        shop=ShopFactory(name="Oak Works", slug="oak-works"),
        data={
            "name": "Linen Tee",
            "options": SIZE_COLOUR,
            "variants": [
                {
                    "sku": sku,
                    "price": price,
                    "compare_at_price": regular,
                    "stock_quantity": stock,
                    "options": {"Size": size, "Colour": colour},
                }
                for sku, size, colour, price, regular, stock in rows
            ],
        },
    )


def of(product, sku) -> ProductVariant:
    return ProductVariant.objects.get(product=product, sku=sku, deleted_at=None)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def cart_form(page: str) -> str:
    return page.split('<form class="add-to-cart"')[1].split("</form>")[0]


def select_options(page: str) -> list[tuple[str, str, bool, bool]]:
    """(value, text, selected, disabled) of the variant select."""
    select = page.split('<select id="variant-select" name="variant_id">')[1].split("</select>")[0]
    return [
        (value, text, " selected" in attrs, " disabled" in attrs)
        for value, attrs, text in re.findall(
            r'<option value="(\d+)"([^>]*)>([^<]*)</option>', select
        )
    ]


def pickers(page: str) -> dict[str, list[tuple[str, str, bool]]]:
    """{option: [(value, state class, pressed)]} of the option buttons."""
    found = {}
    for name, body in re.findall(
        r'<fieldset class="option-picker" data-option="([^"]+)">(.*?)</fieldset>', page, re.S
    ):
        found[name] = [
            (value, state, pressed == "true")
            for state, value, pressed in re.findall(
                r'class="option-value option-(\w+)" data-value="([^"]+)" aria-pressed="(\w+)"', body
            )
        ]
    return found


# --- The product page --------------------------------------------------------------------


def test_the_page_of_a_product_with_variants_has_pickers_a_select_and_the_chosen_one(client, tee):
    page = html(client.get(f"/products/{tee.slug}/"))
    form = cart_form(page)

    # One fieldset of buttons per option, the first variant in stock chosen (S/Blue).
    assert pickers(form) == {
        "Size": [("S", "ok", True), ("M", "sold_out", False)],  # M/Blue has none
        "Colour": [("Red", "sold_out", False), ("Blue", "ok", True)],  # S/Red has none
    }
    assert form.count('<fieldset class="option-picker"') == 2
    # The select (without the script): every variant, the sold-out ones disabled.
    s_blue = of(tee, "TEE-S-BLUE")
    assert select_options(form) == [
        (str(of(tee, "TEE-S-RED").pk), "Size: S / Colour: Red · $10.00 (sold out)", False, True),
        (str(s_blue.pk), "Size: S / Colour: Blue · $11.00", True, False),
        (str(of(tee, "TEE-M-RED").pk), "Size: M / Colour: Red · $12.00", False, False),
        (str(of(tee, "TEE-M-BLUE").pk), "Size: M / Colour: Blue · $13.00 (sold out)", False, True),
    ]
    # The chosen variant's price (its regular price struck through), stock and SKU.
    assert (
        '<p class="product-price"><del class="price-was" id="variant-compare">$14.00</del> '
        '<span id="variant-price">$11.00</span></p>'
    ) in page
    assert '<p class="stock stock-low" id="variant-stock">Only 4 left</p>' in page
    assert '<dd id="variant-sku">TEE-S-BLUE</dd>' in page
    assert 'max="4"' in form and "disabled>Add to cart" not in form
    # The script's data: one entry per variant.
    assert '<script id="variants-data" type="application/json">' in page


def test_a_variant_chosen_in_the_address_is_shown(client, tee):
    m_red = of(tee, "TEE-M-RED")
    page = html(client.get(f"/products/{tee.slug}/?variant={m_red.pk}"))

    assert '<span id="variant-price">$12.00</span>' in page
    assert '<del class="price-was" id="variant-compare" hidden></del>' in page  # not discounted
    assert '<dd id="variant-sku">TEE-M-RED</dd>' in page
    assert '<p class="stock stock-in" id="variant-stock">In stock</p>' in page
    chosen = [option for option in select_options(page) if option[2]]
    assert [value for value, *_ in chosen] == [str(m_red.pk)]
    assert pickers(page)["Size"] == [("S", "sold_out", False), ("M", "ok", True)]

    # A sold-out variant may be asked for: shown, but it cannot be bought.
    m_blue = of(tee, "TEE-M-BLUE")
    page = html(client.get(f"/products/{tee.slug}/?variant={m_blue.pk}"))
    assert '<dd id="variant-sku">TEE-M-BLUE</dd>' in page and "Out of stock" in page
    assert "disabled>Add to cart" in cart_form(page)
    # An unknown or another product's variant: the default choice.
    other = ProductFactory()
    page = html(client.get(f"/products/{tee.slug}/?variant={other.variants.get().pk}"))
    assert '<dd id="variant-sku">TEE-S-BLUE</dd>' in page


def test_an_inactive_variant_is_left_off_the_page(client, tee):
    ProductVariant.objects.filter(pk=of(tee, "TEE-M-RED").pk).update(is_active=False)
    page = html(client.get(f"/products/{tee.slug}/"))
    assert "TEE-M-RED" not in page
    assert len(select_options(page)) == 3
    # M/Red off sale: M with Blue chosen is sold out, M with Red does not exist.
    assert pickers(page)["Size"] == [("S", "ok", True), ("M", "sold_out", False)]


def test_a_product_with_one_variant_has_no_pickers(client):
    lamp = ProductFactory(name="Lamp", sku="LAMP-1", price="20.00")
    page = html(client.get(f"/products/{lamp.slug}/"))
    form = cart_form(page)
    assert "option-picker" not in form and "variant-select" not in form
    assert f'<input type="hidden" name="variant_id" value="{lamp.variants.get().pk}">' in form
    assert '<p class="product-price">$20.00</p>' in page


def test_the_listing_card_says_from_when_prices_differ(client, tee):
    ProductFactory(name="Plain Lamp", price="20.00")
    page = html(client.get("/products/"))
    cards = dict(
        re.findall(
            r'<a class="stretched-link" href="[^"]+">([^<]+)</a>'
            r'.*?<span class="price">(.*?)</span>\s*(?:<|$)',
            page,
            re.S,
        )
    )
    assert cards["Linen Tee"] == '<span class="price-from">from </span>$10.00'
    assert cards["Plain Lamp"] == "$20.00"


# --- Adding to the cart from the page ------------------------------------------------------


def test_posting_a_variant_id_adds_that_variant(client, tee):
    m_red = of(tee, "TEE-M-RED")
    response = client.post(
        "/cart/add/", {"product_id": tee.pk, "variant_id": m_red.pk, "quantity": 2}, follow=True
    )

    page = html(response)
    assert response.redirect_chain[-1][0] == "/cart/"
    [item] = CartItem.objects.all()
    assert (item.variant_id, item.product_id, item.quantity) == (m_red.pk, tee.pk, 2)
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Added to your cart: “Linen Tee” (Size: M / Colour: Red) (quantity 2)."]
    # The cart page shows the option text, and links to the variant.
    assert '<p class="cart-line-options">Size: M / Colour: Red</p>' in page
    assert f"/products/{tee.slug}/?variant={m_red.pk}" in page


def test_posting_only_the_product_of_several_variants_asks_for_one(client, tee):
    response = client.post("/cart/add/", {"product_id": tee.pk, "quantity": 1}, follow=True)

    assert response.redirect_chain[-1][0] == f"/products/{tee.slug}/"
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Choose a variant of “Linen Tee” (variant_id)."]
    assert not CartItem.objects.exists()


def test_posting_a_sold_out_or_foreign_variant_adds_nothing(client, tee):
    s_red = of(tee, "TEE-S-RED")
    response = client.post(
        "/cart/add/", {"product_id": tee.pk, "variant_id": s_red.pk}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "“Linen Tee” (Size: S / Colour: Red) is out of stock."
    ]
    other = ProductFactory()
    response = client.post(
        "/cart/add/", {"product_id": tee.pk, "variant_id": other.variants.get().pk}
    )
    assert response.status_code == 404
    assert not CartItem.objects.exists()


# --- The admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def change_url(product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


PRODUCT_CHANGELIST = reverse("admin:catalog_product_changelist")
VARIANT_CHANGELIST = reverse("admin:catalog_productvariant_changelist")


def live(product) -> list[ProductVariant]:
    return list(variants_of(product))


def variants_of(product):
    return ProductVariant.objects.filter(product=product, deleted_at=None).order_by(
        "position", "pk"
    )


def product_post(product, *, variants=None, **overrides) -> dict:
    """The change form of a product as the browser posts it: its own fields, no images,
    and the variants table (`variants`: {variant pk: changed fields}) when it has one."""
    from catalog.admin import options_as_text

    data = {
        "name": product.name,
        "category": product.category_id or "",
        "description": product.description,
        "option_lines": options_as_text(product),
        "is_active": "on" if product.is_active else None,
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    rows = live(product)
    if len(rows) == 1:
        data.update(
            price=str(rows[0].price), sku=rows[0].sku, stock_quantity=rows[0].stock_quantity
        )
    else:
        data.update({"variants-TOTAL_FORMS": len(rows), "variants-INITIAL_FORMS": len(rows)})
        for index, variant in enumerate(rows):
            row = {
                "id": variant.pk,
                "product": product.pk,
                "sku": variant.sku,
                "price": str(variant.price),
                "compare_at_price": ""
                if variant.compare_at_price is None
                else variant.compare_at_price,
                "stock_quantity": variant.stock_quantity,
                "image": variant.image_id or "",
                "is_active": "on" if variant.is_active else None,
                "position": variant.position,
                **(variants or {}).get(variant.pk, {}),
            }
            data.update({f"variants-{index}-{key}": value for key, value in row.items()})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_change_page_of_a_product_with_variants_has_the_table_not_the_fields(admin_client, tee):
    response = admin_client.get(change_url(tee))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert not {"price", "sku", "stock_quantity"} & set(form.fields)
    assert form.fields["option_lines"].initial == "Size: S, M\nColour: Red, Blue"
    formsets = {
        inline.formset.prefix: inline.formset
        for inline in response.context["inline_admin_formsets"]
    }
    assert set(formsets) == {"images", "variants"}
    assert [row.instance.sku for row in formsets["variants"].forms] == [
        "TEE-S-RED",
        "TEE-S-BLUE",
        "TEE-M-RED",
        "TEE-M-BLUE",
    ]
    assert "Size: M / Colour: Red" in response.content.decode()

    simple = ProductFactory()
    response = admin_client.get(change_url(simple))
    form = response.context["adminform"].form
    assert {"price", "sku", "stock_quantity"} <= set(form.fields)
    assert [inline.formset.prefix for inline in response.context["inline_admin_formsets"]] == [
        "images"
    ]


def test_saving_the_variants_table_writes_through_the_service(admin_client, tee):
    m_red, s_blue = of(tee, "TEE-M-RED"), of(tee, "TEE-S-BLUE")

    response = admin_client.post(
        change_url(tee),
        product_post(
            tee,
            variants={
                m_red.pk: {"price": "8.00", "stock_quantity": "20", "weight_kg": "0.25"},
                s_blue.pk: {"compare_at_price": "", "is_active": None, "tax_class": "reduced"},
            },
        ),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    m_red.refresh_from_db()
    s_blue.refresh_from_db()
    assert (m_red.price, m_red.stock_quantity) == (Decimal("8.00"), 20)
    assert (s_blue.compare_at_price, s_blue.is_active) == (None, False)
    # Shipping's weight and tax's class of a variant (empty: the product's).
    assert (m_red.weight_kg, m_red.effective_tax_class) == (Decimal("0.250"), "standard")
    assert (s_blue.weight_kg, s_blue.effective_tax_class) == (None, "reduced")
    tee.refresh_from_db()  # the summary, written by the service
    assert (tee.price, tee.price_max, tee.stock_quantity, tee.variant_count) == (
        Decimal("8.00"),
        Decimal("13.00"),
        20,
        3,
    )


def test_a_refused_variant_row_is_shown_and_nothing_is_saved(admin_client, tee):
    m_red, s_blue = of(tee, "TEE-M-RED"), of(tee, "TEE-S-BLUE")
    ProductFactory(shop=tee.shop, sku="TAKEN")

    response = admin_client.post(
        change_url(tee),
        product_post(tee, variants={m_red.pk: {"price": "1.00"}, s_blue.pk: {"sku": "TAKEN"}}),
    )

    assert response.status_code == 200
    assert "already has a product with SKU TAKEN" in str(response.context["errors"])
    m_red.refresh_from_db()
    assert m_red.price == Decimal("12.00")  # the whole save was undone
    assert of(tee, "TEE-S-BLUE").pk == s_blue.pk


def test_deleting_a_row_of_the_table_removes_the_variant(admin_client, tee):
    m_blue = of(tee, "TEE-M-BLUE")
    response = admin_client.post(
        change_url(tee), product_post(tee, variants={m_blue.pk: {"DELETE": "on"}})
    )
    assert response.status_code == 302
    m_blue.refresh_from_db()
    assert m_blue.deleted_at is not None
    assert [v.sku for v in live(tee)] == ["TEE-S-RED", "TEE-S-BLUE", "TEE-M-RED"]


def test_the_variant_list_edits_prices_and_stock_in_bulk(admin_client, tee):
    lamp = ProductFactory(name="Lamp", sku="LAMP-1", price="20.00", stock_quantity=2)
    response = admin_client.get(VARIANT_CHANGELIST, {"o": "1"})
    rows = list(response.context["cl"].result_list)
    assert {row.sku for row in rows} == {
        "TEE-S-RED",
        "TEE-S-BLUE",
        "TEE-M-RED",
        "TEE-M-BLUE",
        "LAMP-1",
    }
    assert response.context["cl"].list_editable == [
        "price",
        "compare_at_price",
        "stock_quantity",
        "is_active",
    ]

    changes = {"TEE-S-RED": ("9.00", "3"), "LAMP-1": ("18.50", "7")}
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        price, stock = changes.get(row.sku, (str(row.price), str(row.stock_quantity)))
        data.update(
            {
                f"form-{index}-id": row.pk,
                f"form-{index}-price": price,
                f"form-{index}-compare_at_price": row.compare_at_price or "",
                f"form-{index}-stock_quantity": stock,
            }
        )
        if row.is_active:
            data[f"form-{index}-is_active"] = "on"

    response = admin_client.post(f"{VARIANT_CHANGELIST}?o=1", data)

    assert response.status_code == 302
    s_red = of(tee, "TEE-S-RED")
    assert (s_red.price, s_red.stock_quantity) == (Decimal("9.00"), 3)
    lamp_variant = lamp.variants.get()
    assert (lamp_variant.price, lamp_variant.stock_quantity) == (Decimal("18.50"), 7)
    assert of(tee, "TEE-M-RED").price == Decimal("12.00")
    # The products' summaries follow (the service wrote them).
    tee.refresh_from_db()
    lamp.refresh_from_db()
    assert (tee.price, tee.stock_quantity) == (Decimal("9.00"), 16)
    assert (lamp.price, lamp.price_max, lamp.stock_quantity) == (
        Decimal("18.50"),
        Decimal("18.50"),
        7,
    )


def test_the_generate_action_adds_the_missing_combinations(admin_client, tee):
    from catalog.services import variant_delete

    variant_delete(user=None, variant=of(tee, "TEE-M-BLUE"))
    variant_delete(user=None, variant=of(tee, "TEE-S-RED"))
    lamp = ProductFactory(name="Lamp")

    response = admin_client.post(
        PRODUCT_CHANGELIST,
        {"action": "generate_variants", "_selected_action": [tee.pk, lamp.pk]},
        follow=True,
    )

    assert "Added 2 variants (no stock yet)." in response.content.decode()
    texts = {v.options_text: v for v in live(tee)}
    assert set(texts) == {
        "Size: S / Colour: Red",
        "Size: S / Colour: Blue",
        "Size: M / Colour: Red",
        "Size: M / Colour: Blue",
    }
    assert texts["Size: M / Colour: Blue"].stock_quantity == 0
    assert texts["Size: M / Colour: Blue"].price == Decimal("11.00")  # the lowest now
    assert len(live(lamp)) == 1


def test_saving_the_options_text_makes_the_combinations(admin_client):
    lamp = ProductFactory(name="Lamp", sku="LAMP-1", price="20.00", stock_quantity=6)
    [before] = live(lamp)

    response = admin_client.post(
        change_url(lamp), product_post(lamp, option_lines="Size: S, M\r\nColour: Red")
    )

    assert response.status_code == 302
    variants = live(lamp)
    assert [(v.options_text, v.stock_quantity, v.price) for v in variants] == [
        ("Size: S / Colour: Red", 6, Decimal("20.00")),
        ("Size: M / Colour: Red", 0, Decimal("20.00")),
    ]
    assert (variants[0].pk, variants[0].sku) == (before.pk, "LAMP-1")  # the one it had
    lamp.refresh_from_db()
    assert (lamp.variant_count, lamp.stock_quantity) == (2, 6)
    page = admin_client.get(change_url(lamp))
    assert (
        page.context["adminform"].form.fields["option_lines"].initial == "Size: S, M\nColour: Red"
    )
    assert "variants" in [i.formset.prefix for i in page.context["inline_admin_formsets"]]

    # A line that is no option is a form error, and nothing changes.
    response = admin_client.post(change_url(lamp), product_post(lamp, option_lines="Size S, M"))
    assert response.status_code == 200
    assert "write an option as" in str(response.context["adminform"].form.errors["option_lines"])
    assert len(live(lamp)) == 2


def test_a_product_added_with_options_gets_every_combination(admin_client):
    shop = ShopFactory()
    response = admin_client.post(
        reverse("admin:catalog_product_add"),
        {
            "shop": shop.pk,
            "name": "Mug",
            "description": "",
            "option_lines": "Colour: Red, Blue",
            "price": "7.00",
            "sku": "MUG",
            "stock_quantity": "3",
            "is_active": "on",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    mug = Product.objects.get(name="Mug")
    assert live(mug)[0].sku == "MUG"  # the variant it was made with, first
    assert [(v.options_text, v.stock_quantity) for v in live(mug)] == [
        ("Colour: Red", 3),
        ("Colour: Blue", 3),  # a new product's combinations all get the stock given
    ]
    assert (mug.variant_count, mug.price) == (2, Decimal("7.00"))
