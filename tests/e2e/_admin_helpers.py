"""What the admin journeys (test_journey_admin.py) share: signing in as a person does,
real images to upload, and paid orders made through the services."""

from __future__ import annotations

import io
import re

from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Permission
from PIL import Image
from playwright.sync_api import Page, expect

from cart.services import cart_add_item, cart_get_for_user
from orders.models import Order
from orders.services import order_place
from payments import services as payment_services
from tests.e2e.a11y import RULES, assert_accessible
from tests.factories import DEFAULT_PASSWORD, address_data


def jpeg_bytes(width: int = 1200, height: int = 900) -> bytes:
    """A real photo-like JPEG (a gradient), as a shop owner's camera would make one."""
    square = Image.linear_gradient("L")
    gradient = square.resize((width, height))
    across = square.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    picture = Image.merge("RGB", (gradient, across, gradient.point(lambda v: 255 - v)))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def open_admin(page: Page, base_url: str) -> None:
    """Open /admin/: someone not signed in lands on the site's sign-in page (the guarded
    one, with the second factor), which leads back to the admin."""
    page.goto(base_url + "/admin/")
    expect(page.get_by_role("heading", level=1, name="Sign In")).to_be_visible()
    assert "next=/admin/" in page.url


def admin_sign_in(page: Page, base_url: str, email: str) -> None:
    """Sign in on the page the admin sends to; the admin's index is shown."""
    if "/accounts/login/" not in page.url:
        open_admin(page, base_url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def storefront_sign_in(page: Page, base_url: str, email: str, *, next_path: str) -> None:
    """The storefront's sign-in form (an accessible page), then on to `next_path`."""
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{next_path}")


def grant(user, *codenames: str) -> None:
    """Django permissions ("app.codename") for a platform staff member."""
    for dotted in codenames:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def paid_order(*, user, items: list[tuple[object, int]]) -> Order:
    """An order checked out from the user's cart and paid with the dummy provider's card,
    through the services, as tests/orders and tests/payments make them."""
    cart = cart_get_for_user(user=user)
    for product, quantity in items:
        cart_add_item(cart=cart, product=product, quantity=quantity)
    order = order_place(user=user, cart=cart, shipping_address=address_data())
    payment, _created = payment_services.payment_create(user=user, order=order)
    payment_services.payment_confirm(payment=payment, payment_method="pm_card_visa")
    order.refresh_from_db()
    return order


def box_of(locator) -> dict:
    """The element's bounding box on the page (fails if it is not laid out)."""
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not laid out on the page"
    return box


def labelled(scope, text: str):
    """The field whose label reads `text` (the admin's labels end in a colon)."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(text)}:?\s*$"))


# Elements of the page's main column whose right edge is past the window's, and which no
# box that scrolls sideways holds: a person on that screen can neither see nor reach them.
_CUT_OFF = """(root) => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let box = element.parentElement; box && box !== root; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      const inside = box.getBoundingClientRect().right <= width + 1;
      if ((overflow === "auto" || overflow === "scroll") && inside) {
        return true;
      }
    }
    return false;
  };
  return [...root.querySelectorAll("*")]
    .filter((element) => element.getBoundingClientRect().right > width + 1 && !scrolls(element))
    .slice(0, 10)
    .map((element) => `${element.tagName.toLowerCase()}#${element.id}.${element.className}`);
}"""


def cut_off(page, selector: str = "#content-main") -> list[str]:
    return page.locator(selector).evaluate(_CUT_OFF)


def own_markup_violations(page, selector: str) -> list[str]:
    """The accessibility rules of tests/e2e/a11y.py, on the part of an admin page that
    our templates make (`selector`); the admin's own markup around it is Django's.
    Page-wide rules (title, language, a first heading) are a11y.py's business."""
    page_wide = {"page-has-heading-one", "html-has-lang", "html-lang-valid", "document-title"}
    results = Axe().run(
        page,
        context=selector,
        options={
            "runOnly": {"type": "rule", "values": [r for r in RULES if r not in page_wide]},
            "resultTypes": ["violations"],
        },
    )
    return [
        f"{item['id']}: {item['help']} — "
        + "; ".join(" ".join(node["target"]) for node in item["nodes"][:5])
        for item in results.response["violations"]
    ]
