"""A catalog that looks real, for the browser tests of the storefront's look and access:
shops, categories, products with generated photos (stored and thumbnailed through the
catalog's services), reviews and ratings, signed-in shoppers and paid orders.

Also a signed-in session cookie for the browser (the live server serves the product
images from the test's MEDIA_ROOT itself).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from accounts.services import address_create
from cart.services import cart_add_item, cart_get_for_user
from catalog.services import product_image_add, product_rating_refresh
from orders.models import Order
from orders.services import order_mark_paid, order_place
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ReviewFactory,
    ShopFactory,
    UserFactory,
    address_data,
    verify_email,
)

MIN_TAP_HEIGHT = 32

CATALOG = {
    # category: [(product name, price, [palette]), ...]
    "Kitchen": [
        ("Speckled stoneware mug", "18.00", ["#0ea5e9", "#f8fafc"]),
        ("Cast iron skillet, 26 cm", "54.90", ["#334155", "#f97316"]),
        ("Olive wood serving board", "32.50", ["#a16207", "#fde68a"]),
    ],
    "Garden": [
        ("Terracotta herb pot set", "24.00", ["#c2410c", "#fed7aa"]),
        ("Copper watering can", "46.00", ["#b45309", "#22c55e"]),
        ("Wildflower seed collection", "9.50", ["#db2777", "#facc15"]),
    ],
    "Stationery": [
        ("Linen-bound notebook, A5", "16.00", ["#7c3aed", "#ede9fe"]),
        ("Brass fountain pen", "65.00", ["#ca8a04", "#1e293b"]),
        ("Recycled kraft envelopes (50)", "7.25", ["#92400e", "#fef3c7"]),
    ],
    "Audio": [
        ("Walnut bluetooth speaker", "129.00", ["#78350f", "#0f766e"]),
        ("Over-ear studio headphones", "189.00", ["#111827", "#ef4444"]),
        ("Braided audio cable, 2 m", "12.99", ["#2563eb", "#a5b4fc"]),
    ],
}
SHOPS = ["Harbour & Hearth", "Greenfinch Goods", "Paper Lantern Co."]
REVIEWS = [
    (
        5,
        "Lovely quality",
        "Arrived quickly, well packed, and it looks even better than the photos.",
    ),
    (4, "Very good", "Does exactly what it says. Would buy from this shop again."),
    (5, "A gift that landed", "Bought it as a present and it went down a treat."),
    (3, "Fine", "Good value, though the colour is a little darker than pictured."),
]


def product_photo(palette: list[str], *, seed: int, size=(900, 900)) -> bytes:
    """A colourful PNG: a two-colour gradient with a few soft shapes, so each product has
    a picture of its own that compresses like a photo."""
    first, second = (Image.new("RGB", size, colour) for colour in palette)
    mask = Image.linear_gradient("L").rotate(seed * 37 % 360).resize(size)
    picture = Image.composite(first, second, mask)
    draw = ImageDraw.Draw(picture, "RGBA")
    chance = random.Random(seed)
    width, height = size
    for _ in range(5):
        radius = chance.randint(width // 10, width // 4)
        x, y = chance.randint(0, width), chance.randint(0, height)
        tint = (*(chance.randint(0, 255) for _ in range(3)), 90)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=tint)
    draw.rounded_rectangle(
        (width * 0.3, height * 0.3, width * 0.7, height * 0.7),
        radius=width // 12,
        fill=(255, 255, 255, 150),
    )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Catalog:
    owner: object
    shops: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    products: list = field(default_factory=list)
    reviewers: list = field(default_factory=list)

    def product(self, name: str):
        return next(product for product in self.products if product.name == name)


def build_catalog(
    *, images_per_product: int = 1, reviews: bool = True, photo_size=(900, 900)
) -> Catalog:
    """Three shops, four categories, twelve products with photos (thumbnails made by the
    eager Celery task), prices, stock, and reviews that give them ratings."""
    owner = UserFactory(first_name="Olive", last_name="Owner")
    catalog = Catalog(owner=owner)
    for name in SHOPS:
        shop = ShopFactory(name=name, slug=name.lower().replace(" & ", "-").replace(" ", "-"))
        shop.slug = shop.slug.replace(".", "")
        shop.save(update_fields=["slug"])
        MembershipFactory(shop=shop, user=owner)
        catalog.shops.append(shop)
    catalog.reviewers = [
        UserFactory(first_name=first) for first in ("Priya", "Tom", "Amara", "Jonas")
    ]
    seed = 0
    for category_name, items in CATALOG.items():
        category = CategoryFactory(name=category_name, slug=category_name.lower())
        catalog.categories.append(category)
        for name, price, palette in items:
            seed += 1
            product = ProductFactory(
                shop=catalog.shops[seed % len(catalog.shops)],
                category=category,
                name=name,
                slug=f"look-{seed}",
                price=price,
                stock_quantity=3 if seed % 5 == 0 else 40,
                description=(
                    f"{name}: made in small batches by an independent maker.\n\n"
                    "Every piece is checked by hand before it is packed in recycled paper."
                ),
            )
            for number in range(images_per_product):
                product_image_add(
                    user=owner,
                    product=product,
                    upload=SimpleUploadedFile(
                        f"photo-{seed}-{number}.png",
                        product_photo(
                            palette[number % 2 :] + palette[: number % 2],
                            seed=seed,
                            size=photo_size,
                        ),
                    ),
                    alt=f"{name}, photo {number + 1}",
                )
            if reviews:
                for offset, reviewer in enumerate(catalog.reviewers[: 1 + seed % 4]):
                    rating, title, body = REVIEWS[(seed + offset) % len(REVIEWS)]
                    ReviewFactory(
                        product=product, user=reviewer, rating=rating, title=title, body=body
                    )
                product_rating_refresh(product=product)
            product.refresh_from_db()
            catalog.products.append(product)
    return catalog


def shopper_with_address(**user_fields):
    """A signed-up, email-verified shopper with a default address in the address book."""
    user = verify_email(UserFactory(first_name="Ada", last_name="Lovelace", **user_fields))
    address_create(user=user, data={**address_data(), "is_default": True})
    return user


def place_paid_orders(products, *, count: int = 12) -> list:
    """Orders placed and paid through the services, spread over the last few weeks so
    that the admin's sales chart has something to draw (products low on stock are left
    for the dashboard's low-stock list)."""
    products = [product for product in products if product.stock_quantity >= 20]
    orders = []
    for index in range(count):
        buyer = verify_email(UserFactory())
        cart = cart_get_for_user(user=buyer)
        for product in (products[index % len(products)], products[(index * 5 + 2) % len(products)]):
            cart_add_item(cart=cart, product=product, quantity=1 + index % 2)
        order = order_place(user=buyer, cart=cart, shipping_address=address_data())
        order_mark_paid(order=order)
        day = timezone.localdate() - timedelta(days=(index * 3) % 28)
        Order.objects.filter(pk=order.pk).update(
            created_at=datetime.combine(day, time(10 + index % 8), tzinfo=UTC)
        )
        orders.append(order)
    return orders


def sign_in(context, user, live_server) -> None:
    """Give the browser a session of `user`, as signing in would."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def wait_for_images(page) -> None:
    """Every image on the page loaded (lazy ones are asked for first), so that full-page
    screenshots show the products rather than empty boxes."""
    page.evaluate(
        "() => document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )


def assert_tappable(locator, viewport: dict, *, name: str) -> None:
    """The control is visible, lies inside the viewport's width and is tall enough to tap."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, f"{name} has no box"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, (
        f"{name} sticks out of the {viewport['width']} px viewport: {box}"
    )
    assert box["height"] >= MIN_TAP_HEIGHT, f"{name} is {box['height']:.0f} px high: {box}"


def wider_than_viewport(page, *, limit: int = 5) -> list[str]:
    """The outermost elements reaching past the viewport's right edge (for the message of
    a failed `no_horizontal_scroll`)."""
    return page.evaluate(
        """(limit) => {
          const width = document.documentElement.clientWidth;
          const found = [];
          for (const element of document.body.querySelectorAll('*')) {
            const box = element.getBoundingClientRect();
            if (box.right <= width + 0.5 || box.width === 0) continue;
            if (found.some(outer => outer.contains(element))) continue;
            found.push(element);
          }
          return found.slice(0, limit).map(element => {
            const box = element.getBoundingClientRect();
            const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
              + [...element.classList].map(c => '.' + c).join('');
            return `${name} (${Math.round(box.left)}..${Math.round(box.right)} px)`;
          });
        }""",
        limit,
    )


def snap(shot, page, name: str):
    """A full-page screenshot taken from the top, so that the sticky header is drawn
    where it belongs rather than where the last scroll left it."""
    page.evaluate("() => window.scrollTo(0, 0)")
    return shot(page, name)
