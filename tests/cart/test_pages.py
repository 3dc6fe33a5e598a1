"""The cart pages: adding from the product page, the cart, quantities, removing and
emptying, guest carts and their merge at login. Django's test client; a guest unless a
test signs in."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from cart.models import Cart, CartItem
from cart.services import cart_add_item, cart_get_for_user
from catalog.models import Product, ProductImage
from catalog.services import product_image_add
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    ProductFactory,
    ShopFactory,
    UserFactory,
    set_price,
    set_stock,
)

pytestmark = pytest.mark.django_db

CART = "/cart/"


def add(client, product, quantity=1, **extra):
    data = {"product_id": product.pk, "quantity": quantity, **extra}
    return client.post(reverse("cart:add"), data)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def header_count(response) -> int:
    match = re.search(r'class="cart-count"[^>]*>(\d+)<', response.content.decode())
    assert match, "the header shows the cart count"
    return int(match.group(1))


def line_of(client, product) -> CartItem:
    return CartItem.objects.get(product=product, cart__in=Cart.objects.all())


def with_image(product) -> ProductImage:
    """An image added as shop members add them (its thumbnail would follow after commit)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    upload = SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")
    owner = MembershipFactory(shop=product.shop).user
    return product_image_add(user=owner, product=product, upload=upload, alt="A photo")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


# --- Adding ------------------------------------------------------------------------------


def test_a_guest_adds_to_the_cart_and_sees_it(client):
    lamp = ProductFactory(name="Desk lamp", price="12.50", stock_quantity=5)

    response = add(client, lamp, 2, next=f"/products/{lamp.slug}/")

    assert response.status_code == 302 and response.url == CART
    page = client.get(CART)
    html = page.content.decode()
    assert page.status_code == 200
    assert any(message.startswith("Added to your cart") for message in page_messages(page))
    assert "Desk lamp" in html
    assert f'href="/products/{lamp.slug}/"' in html
    assert lamp.shop.name in html
    assert "$12.50" in html  # unit price
    assert "$25.00" in html  # line total and subtotal
    assert f'action="{reverse("cart:update", args=[line_of(client, lamp).pk])}"' in html
    assert f'href="{reverse("orders:checkout")}"' in html
    cart = Cart.objects.get(pk=client.session["guest_cart_id"])
    assert cart.user is None and cart.items.get().quantity == 2


def test_the_header_counts_the_items_in_the_cart(client):
    assert header_count(client.get(CART)) == 0
    add(client, ProductFactory(), 2)
    add(client, ProductFactory(), 3)

    response = client.get(CART)

    assert header_count(response) == 5
    assert "5 items" in response.content.decode()


def test_adding_the_same_product_adds_to_its_line(signed_in, user):
    lamp = ProductFactory(stock_quantity=5)
    add(signed_in, lamp, 2)
    add(signed_in, lamp, 1)

    assert cart_get_for_user(user=user).items.get().quantity == 3


def test_more_than_in_stock_goes_back_to_the_product_page_with_the_reason(client):
    lamp = ProductFactory(name="Lamp", stock_quantity=3)
    add(client, lamp, 2)

    response = add(client, lamp, 2)

    assert response.status_code == 302
    assert response.url == reverse("catalog:product_detail", args=[lamp.slug])
    product_page = client.get(response.url)
    assert "Only 3 of “Lamp” left." in page_messages(product_page)
    assert line_of(client, lamp).quantity == 2


def test_an_error_goes_back_to_a_safe_next_address_only(client):
    lamp = ProductFactory(stock_quantity=1)

    to_listing = add(client, lamp, 5, next="/products/?q=lamp")
    to_elsewhere = add(client, lamp, 5, next="https://evil.example/products/")

    assert to_listing.url == "/products/?q=lamp"
    assert to_elsewhere.url == reverse("catalog:product_detail", args=[lamp.slug])


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "Choose a quantity from 1 to 999."),
        (1000, "Choose a quantity from 1 to 999."),
        ("two", "Enter the quantity as a whole number."),
    ],
)
def test_a_bad_quantity_is_an_error_message(client, quantity, message):
    lamp = ProductFactory()

    response = add(client, lamp, quantity)

    assert response.status_code == 302
    assert message in page_messages(client.get(response.url))
    assert not CartItem.objects.exists()


def test_unknown_or_hidden_products_are_404(client):
    hidden = ProductFactory(is_active=False)
    closed = ProductFactory(shop__is_active=False)

    assert (
        client.post(reverse("cart:add"), {"product_id": 999999, "quantity": 1}).status_code == 404
    )
    assert client.post(reverse("cart:add"), {"product_id": "x", "quantity": 1}).status_code == 404
    assert add(client, hidden).status_code == 404
    assert add(client, closed).status_code == 404
    assert not CartItem.objects.exists()


def test_a_shop_member_sees_their_unpublished_product_but_cannot_buy_it(signed_in, user):
    membership = MembershipFactory(user=user)
    draft = ProductFactory(shop=membership.shop, is_active=False)

    response = add(signed_in, draft)

    assert response.status_code == 302
    assert response.url == reverse("catalog:product_detail", args=[draft.slug])
    assert f"“{draft.name}” is no longer for sale." in page_messages(signed_in.get(CART))
    assert not CartItem.objects.exists()


def test_adding_needs_a_post(client):
    assert client.get(reverse("cart:add")).status_code == 405


# --- The cart page -----------------------------------------------------------------------


def test_a_line_shows_its_first_image(client):
    lamp = ProductFactory()
    first = with_image(lamp)
    second = with_image(lamp)
    add(client, lamp)

    html = client.get(CART).content.decode()

    first.refresh_from_db()
    shown = (first.thumbnail or first.image).url
    assert f'src="{shown}"' in html
    assert second.image.url not in html


def test_an_empty_cart_says_so(client):
    response = client.get(CART)

    assert response.status_code == 200
    assert "Your cart is empty" in response.content.decode()
    assert reverse("orders:checkout") not in response.content.decode()


def test_a_changed_price_is_announced_on_the_cart_page(signed_in, user):
    lamp = ProductFactory(name="Lamp", price="10.00")
    add(signed_in, lamp, 1)
    set_price(lamp, "12.00")

    html = signed_in.get(CART).content.decode()

    assert "Changes since you added these items" in html
    assert "The price of “Lamp” went up from 10.00 to 12.00 since you added it." in html
    assert "Price changed" in html
    assert "$12.00" in html  # the current price is what counts
    # A new price is no reason to stop: checkout stays open.
    assert f'href="{reverse("orders:checkout")}"' in html


def test_a_line_out_of_stock_or_off_sale_blocks_checkout_with_an_explanation(signed_in, user):
    lamp = ProductFactory(name="Lamp", stock_quantity=5)
    mug = ProductFactory(name="Mug")
    add(signed_in, lamp, 3)
    add(signed_in, mug, 1)
    set_stock(lamp, 2)
    Product.objects.filter(pk=mug.pk).update(is_active=False)

    html = signed_in.get(CART).content.decode()

    assert "Only 2 of “Lamp” left: lower the quantity." in html
    assert "“Mug” is no longer for sale: remove it to check out." in html
    assert 'disabled aria-describedby="checkout-blocked"' in html
    assert f'href="{reverse("orders:checkout")}"' not in html


def test_a_guest_is_offered_guest_checkout_or_sign_in(client):
    add(client, ProductFactory())

    html = client.get(CART).content.decode()

    assert f'href="{reverse("orders:checkout")}"' in html
    assert "Check out as a guest with your email address" in html
    assert f"{reverse('account_login')}?next={reverse('orders:checkout')}" in html


# --- Changing lines ----------------------------------------------------------------------


def test_change_a_quantity(signed_in, user):
    lamp = ProductFactory(stock_quantity=5)
    add(signed_in, lamp, 1)
    item = line_of(signed_in, lamp)

    response = signed_in.post(reverse("cart:update", args=[item.pk]), {"quantity": 4})

    assert response.status_code == 302 and response.url == CART
    item.refresh_from_db()
    assert item.quantity == 4


def test_quantity_zero_removes_the_line(signed_in, user):
    lamp = ProductFactory(name="Lamp")
    add(signed_in, lamp, 2)
    item = line_of(signed_in, lamp)

    response = signed_in.post(reverse("cart:update", args=[item.pk]), {"quantity": 0}, follow=True)

    assert not CartItem.objects.filter(pk=item.pk).exists()
    assert "“Lamp” was removed from your cart." in page_messages(response)
    assert "Your cart is empty" in response.content.decode()


def test_more_than_in_stock_shows_the_error_and_keeps_the_quantity(signed_in, user):
    lamp = ProductFactory(name="Lamp", stock_quantity=3)
    add(signed_in, lamp, 2)
    item = line_of(signed_in, lamp)

    response = signed_in.post(reverse("cart:update", args=[item.pk]), {"quantity": 7}, follow=True)

    assert "Only 3 of “Lamp” left." in page_messages(response)
    item.refresh_from_db()
    assert item.quantity == 2


def test_remove_a_line_and_empty_the_cart(signed_in, user):
    lamp, mug, pen = ProductFactory(), ProductFactory(), ProductFactory()
    for product in (lamp, mug, pen):
        add(signed_in, product)

    signed_in.post(reverse("cart:remove", args=[line_of(signed_in, lamp).pk]))
    assert set(CartItem.objects.values_list("product_id", flat=True)) == {mug.pk, pen.pk}

    response = signed_in.post(reverse("cart:clear"), follow=True)
    assert not CartItem.objects.exists()
    assert "Your cart is empty now." in page_messages(response)


def test_another_persons_or_sessions_line_is_404(client, user):
    other = UserFactory()
    theirs = cart_add_item(cart=cart_get_for_user(user=other), product=ProductFactory(), quantity=1)
    guest = Client()
    add(guest, ProductFactory())
    guests = CartItem.objects.get(cart__user__isnull=True)

    for item in (theirs, guests):
        assert (
            client.post(reverse("cart:update", args=[item.pk]), {"quantity": 3}).status_code == 404
        )
        assert client.post(reverse("cart:remove", args=[item.pk])).status_code == 404
    client.force_login(user)
    for item in (theirs, guests):
        assert (
            client.post(reverse("cart:update", args=[item.pk]), {"quantity": 3}).status_code == 404
        )
        assert client.post(reverse("cart:remove", args=[item.pk])).status_code == 404
    assert CartItem.objects.filter(pk__in=[theirs.pk, guests.pk], quantity=1).count() == 2


def test_a_post_without_the_csrf_token_is_refused():
    lamp = ProductFactory()
    client = Client(enforce_csrf_checks=True)

    response = add(client, lamp)

    assert response.status_code == 403
    assert not CartItem.objects.exists()


# --- Signing in merges the guest cart ----------------------------------------------------


def test_signing_in_merges_the_guest_cart_capped_at_the_stock(client, user):
    lamp = ProductFactory(name="Lamp", stock_quantity=4)
    mug = ProductFactory(name="Mug", stock_quantity=9)
    cart_add_item(cart=cart_get_for_user(user=user), product=lamp, quantity=2)
    add(client, lamp, 3)
    add(client, mug, 2)

    response = client.post(
        f"{reverse('account_login')}?next={CART}",
        {"login": user.email, "password": DEFAULT_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == CART
    assert "Only 4 of “Lamp” left: quantity reduced." in page_messages(response)
    html = response.content.decode()
    assert "Lamp" in html and "Mug" in html
    cart = cart_get_for_user(user=user)
    assert dict(cart.items.values_list("product__name", "quantity")) == {"Lamp": 4, "Mug": 2}
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert header_count(response) == 6


def test_signing_in_without_a_guest_cart_keeps_the_persons_cart(client, user):
    cart_add_item(cart=cart_get_for_user(user=user), product=ProductFactory(), quantity=2)

    response = client.post(
        f"{reverse('account_login')}?next={CART}",
        {"login": user.email, "password": DEFAULT_PASSWORD},
        follow=True,
    )

    assert header_count(response) == 2
    assert not [m for m in page_messages(response) if "quantity reduced" in m]


# --- Query budget ------------------------------------------------------------------------


def _fill(client, count: int) -> None:
    shop = ShopFactory(name=f"Budget shop {count}", slug=f"budget-{count}")
    for _ in range(count):
        product = ProductFactory(shop=shop, stock_quantity=50)
        with_image(product)
        add(client, product, 1)


@pytest.mark.parametrize("signed_in_user", [False, True])
@pytest.mark.parametrize("count", [1, 10])
def test_the_cart_page_reads_in_a_fixed_number_of_queries(
    client, user, django_assert_max_num_queries, signed_in_user, count
):
    if signed_in_user:
        client.force_login(user)
        from accounts.services import address_create
        from tests.factories import address_data

        address_create(user=user, data={**address_data(), "is_default": True})
    _fill(client, count)
    first = CartItem.objects.first()
    set_price(first.product_id, "1.00")  # a notice too

    # The cart's own eight queries (its discount codes: one), and its estimate: for the
    # signed-in person's default
    # address (one query to find it), for the country asked for otherwise; the estimate
    # reads the tax settings and rates (two) and the shops' zones, methods, tiers (three);
    # signed in, the header's bell (its unread count, cached after a first page). Then
    # "you may also like", cold here (the price change emptied the catalog's caches):
    # what is bought with the lines and what is like them (two; their cards when there
    # are any); signed in, the person's recently viewed (one) and their cards.
    with django_assert_max_num_queries(18 if signed_in_user else 14):
        response = client.get(CART if signed_in_user else CART + "?country=DE")

    assert response.status_code == 200
    assert len(response.context["lines"]) == count
    assert response.context["estimate"].shippable
