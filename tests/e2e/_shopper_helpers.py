"""What the shopper journeys share: a small catalog with real product images and the steps
a person repeats (adding to the cart, signing in). The live server serves uploads from
the test's MEDIA_ROOT itself (Django's live server thread has a media handler)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.factories import (
    DEFAULT_PASSWORD,
    CategoryFactory,
    MembershipFactory,
    ProductFactory,
    ShopFactory,
)

# --- Real images -------------------------------------------------------------------------


def picture_bytes(image_format: str, *, colour: tuple[int, int, int], size=(640, 480)) -> bytes:
    """A real image, drawn as a product photo might look: a gradient background with a
    coloured shape, so that the gallery's images are told apart on a screenshot."""
    gradient = Image.linear_gradient("L").resize(size)
    picture = Image.merge("RGB", (gradient, gradient, gradient.point(lambda v: 200 + v // 5)))
    draw = ImageDraw.Draw(picture)
    width, height = size
    draw.ellipse(
        (width // 4, height // 5, 3 * width // 4, 4 * height // 5),
        fill=colour,
        outline=(30, 30, 30),
        width=6,
    )
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format)
    return buffer.getvalue()


def add_product_images(*, owner, product, pictures: list[tuple[str, tuple, str]]) -> list:
    """Upload `(format, colour, alt)` pictures through the catalog service, as the shop's
    product form does; thumbnails are made by the (eager) thumbnail task after commit."""
    from catalog.services import product_image_add

    extensions = {"PNG": "png", "JPEG": "jpg"}
    return [
        product_image_add(
            user=owner,
            product=product,
            upload=SimpleUploadedFile(
                f"photo.{extensions[image_format]}",
                picture_bytes(image_format, colour=colour),
            ),
            alt=alt,
        )
        for image_format, colour, alt in pictures
    ]


# --- A small catalog -----------------------------------------------------------------------


@dataclass
class Catalog:
    owner: object
    shop: object
    audio: object
    accessories: object
    studio: object  # Studio Headphones, Audio, 89.00, with a gallery
    wireless: object  # Wireless Headphones, Audio, 59.00
    budget: object  # Budget Headphones, Audio, 19.00
    case: object  # Headphones Travel Case, Accessories, 15.00
    grinder: object  # Coffee Grinder, Accessories: no search finds it


def headphones_catalog() -> Catalog:
    shop = ShopFactory(name="Sound & Co", slug="sound-co")
    owner = MembershipFactory(shop=shop, role="owner").user
    audio = CategoryFactory(name="Audio", slug="audio")
    accessories = CategoryFactory(name="Accessories", slug="accessories")

    def product(name, slug, category, price, stock, description):
        return ProductFactory(
            shop=shop,
            name=name,
            slug=slug,
            category=category,
            price=Decimal(price),
            stock_quantity=stock,
            description=description,
        )

    catalog = Catalog(
        owner=owner,
        shop=shop,
        audio=audio,
        accessories=accessories,
        studio=product(
            "Studio Headphones",
            "studio-headphones",
            audio,
            "89.00",
            8,
            "Closed-back headphones for long mixing sessions.",
        ),
        wireless=product(
            "Wireless Headphones",
            "wireless-headphones",
            audio,
            "59.00",
            12,
            "Bluetooth headphones with 30 hours of battery.",
        ),
        budget=product(
            "Budget Headphones",
            "budget-headphones",
            audio,
            "19.00",
            30,
            "Light headphones for the commute.",
        ),
        case=product(
            "Headphones Travel Case",
            "headphones-travel-case",
            accessories,
            "15.00",
            20,
            "A hard case for over-ear headphones.",
        ),
        grinder=product(
            "Coffee Grinder",
            "coffee-grinder",
            accessories,
            "45.00",
            5,
            "Burr grinder for espresso.",
        ),
    )
    return catalog


# --- Steps a person repeats ------------------------------------------------------------------


def money(amount: str) -> re.Pattern:
    """The page shows prices with a currency sign: match the amount wherever it sits."""
    return re.compile(re.escape(amount))


def open_home(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")


def search(page: Page, words: str) -> None:
    """The search box in the page's header (the home page has another one)."""
    box = page.get_by_role("banner").get_by_role("search")
    box.get_by_label("Search products").fill(words)
    box.get_by_role("button", name="Search").click()


def expect_cart_count(page: Page, count: int) -> None:
    """The header's cart link says how many items the cart holds ("Cart 3 items")."""
    link = page.get_by_role("banner").get_by_role("link", name=re.compile(r"^Cart\b"))
    expect(link).to_have_accessible_name(re.compile(rf"^Cart\s+{count}\b"))


def add_to_cart(page: Page, quantity: int = 1) -> None:
    """On a product page: choose the quantity and press "Add to cart" (the cart opens)."""
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()


def fill_sign_in_form(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    expect(page.get_by_role("heading", level=1, name="Sign In")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def signed_in_shopper_in_germany(browser, live_server, *, email: str, name: str) -> Page:
    """A verified shopper with a default address in Berlin, signed in in a new browser
    context (1280 x 900, English): the page."""
    from accounts.services import address_create
    from tests.factories import UserFactory, address_data, verify_email

    shopper = verify_email(UserFactory(email=email))
    address_create(
        user=shopper,
        data={**address_data(full_name=name, city="Berlin", country="DE"), "is_default": True},
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_contain_text("Sign out")
    return page


def totals(page: Page) -> dict[str, str]:
    """The first figures list on the page (cart, checkout, order): {label: amount}."""
    summary = page.locator("dl.totals").first
    return dict(
        zip(
            summary.locator("dt").all_inner_texts(),
            summary.locator("dd").all_inner_texts(),
            strict=True,
        )
    )


def buy_and_open_pay_page(page: Page, live_server, slug: str):
    """A signed-in shopper with a default address buys one of a product and opens the
    pay page of the order: the order."""
    from orders.models import Order

    page.goto(f"{live_server.url}/products/{slug}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order ")
    order = Order.objects.latest("created_at")
    page.get_by_role("link", name=re.compile("Pay now")).click()
    return order
