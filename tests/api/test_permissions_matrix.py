"""Who may do what: every API operation, asked by each kind of caller.

One table, MATRIX: for each operation of the schema under /api/v1/, the request (built on
the world of tests/api/conftest.py) and the status each caller gets. The callers are
nobody (anonymous), customers A and B, the owners of shops X and Y, and platform staff:
with every model permission, with none ("staff_none"), and with only the view
permissions ("staff_view"). The API asks Django's permissions, as the admin does: staff
without the permission an operation needs are answered as any other customer.
The resources belong to A (address, review on X's product, cart line, orders, payments,
saved card), to shop X, or to shop Y. Every call is made on the same world and rolled
back after it, so no answer depends on the calls before it.

A resource the caller may not see answers 404; one they may see but not change, 403
(docs/api.md). An operation of the schema without a row here fails
`test_the_table_has_a_row_for_every_operation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import ROLES, World, png_bytes, rolled_back
from tests.factories import DEFAULT_PASSWORD, address_data

pytestmark = pytest.mark.django_db


def row(
    anonymous,
    customer_a,
    customer_b,
    owner_x,
    owner_y,
    staff,
    *,
    staff_none: int | None = None,
    staff_view: int | None = None,
) -> dict[str, int]:
    """The answers of each caller. Staff without a permission for an operation are
    answered as customer B, who owns nothing in the world, unless given otherwise."""
    answers = (anonymous, customer_a, customer_b, owner_x, owner_y, staff)
    answers += (
        customer_b if staff_none is None else staff_none,
        customer_b if staff_view is None else staff_view,
    )
    return dict(zip(ROLES, answers, strict=True))


Params = Callable[[World], dict[str, Any]]
Body = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """How to ask: the path's parameters and the body, from the world (and the caller)."""

    params: Params | None = None
    body: Body | None = None
    multipart: bool = False


def ids(**names: str) -> Params:
    """Path parameters naming objects of the world: `ids(id="order_a")`."""
    return lambda world: {key: getattr(world, name).pk for key, name in names.items()}


def variant_of(product: str) -> Params:
    """The path's `id`: the one variant of a product of the world."""
    return lambda world: {"id": getattr(world, product).variants.get().pk}


def zone_of(shop: str) -> Params:
    """A shop of the world and its one shipping zone."""

    def params(world: World) -> dict[str, int]:
        owner = getattr(world, shop)
        return {"shop_id": owner.pk, "id": owner.shipping_zones.get().pk}

    return params


def method_of(shop: str) -> Params:
    """A shop of the world and the one method of its one zone."""

    def params(world: World) -> dict[str, int]:
        owner = getattr(world, shop)
        return {"shop_id": owner.pk, "id": owner.shipping_zones.get().methods.get().pk}

    return params


def promotion_of(shop: str) -> Callable[[World], Any]:
    """A code promotion of a shop of the world (made in the call's rolled-back world),
    with one code, "SHOPCODE"."""

    def make(world: World):
        from promotions.services import promotion_create

        return promotion_create(
            shop=getattr(world, shop),
            data={"name": "Ten off", "reward": "percentage", "value": "10", "code": "SHOPCODE"},
            by=None,
        )

    return make


def platform_code(world: World) -> str:
    from promotions.services import promotion_create

    promotion_create(
        shop=None,
        data={"name": "Welcome", "reward": "percentage", "value": "5", "code": "WELCOME5"},
        by=None,
    )
    return "WELCOME5"


def paid_orders_invoice(world: World) -> dict[str, int]:
    """The invoice of A's paid order (shop Z's part), issued in the call's world."""
    from invoices.models import Invoice
    from invoices.services import invoices_issue

    invoices_issue(order_id=world.order_paid.pk)
    return {"invoice_id": Invoice.objects.get(order=world.order_paid).pk}


def notification_of_a(world: World) -> dict[str, int]:
    """A notification of customer A (made in the call's rolled-back world)."""
    from notifications.models import Notification

    note = Notification.objects.create(
        recipient=world.user("customer_a"), kind="order_status", title="Shipped"
    )
    return {"id": note.pk}


def return_of_a(world: World) -> dict[str, int]:
    """A's paid order, delivered, with a return asked of shop Z's line (made in the call's
    rolled-back world)."""
    from orders.services import order_set_status
    from returns.services import return_request

    order = world.order_paid
    for status in ("processing", "shipped", "delivered"):
        order_set_status(order=order, status=status, by=None)
    line = order.lines.get()
    made = return_request(
        order=order,
        user=world.user("customer_a"),
        lines=[{"line_id": line.pk, "quantity": 1}],
        reason="x",
    )
    return {"id": made.pk}


def user_id(**roles: str) -> Params:
    return lambda world: {key: world.user(role).pk for key, role in roles.items()}


NEW_PRODUCT = {"name": "Kettle", "price": "30.00", "stock_quantity": 3}
SHOP_UPDATE = {"name": "Renamed", "description": "Now with more."}
PRODUCT_UPDATE = {"name": "Renamed", "price": "25.00"}
CATEGORY = {"name": "Teapots"}

# operation -> (how to ask, the answer of: anonymous, A, B, owner X, owner Y, staff)
MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    # --- accounts --------------------------------------------------------------------
    "POST /api/v1/auth/register/": (
        Call(body=lambda w, role: {"email": f"new-{role}@example.com", "password": "n3w-Pass!x"}),
        row(201, 201, 201, 201, 201, 201),
    ),
    "POST /api/v1/auth/login/": (
        Call(body=lambda w, role: {"email": w.email(role), "password": DEFAULT_PASSWORD}),
        row(200, 200, 200, 200, 200, 200),
    ),
    "POST /api/v1/auth/refresh/": (
        Call(body=lambda w, role: {"refresh": w.refresh_token(role)}),
        row(200, 200, 200, 200, 200, 200),
    ),
    "POST /api/v1/auth/logout/": (
        Call(body=lambda w, role: {"refresh": w.refresh_token(role)}),
        row(401, 204, 204, 204, 204, 204),
    ),
    "POST /api/v1/auth/forgot-password/": (
        Call(body=lambda w, role: {"email": w.email(role)}),
        row(202, 202, 202, 202, 202, 202),
    ),
    "POST /api/v1/auth/reset-password/": (
        Call(
            body=lambda w, role: {
                "uid": w.reset_uid,
                "token": w.reset_token,
                "new_password": "n3w-Pass!x",
            }
        ),
        row(204, 204, 204, 204, 204, 204),
    ),
    "POST /api/v1/auth/change-password/": (
        Call(body=lambda w, role: {"old_password": DEFAULT_PASSWORD, "new_password": "n3w-Pass!x"}),
        row(401, 204, 204, 204, 204, 204),
    ),
    "POST /api/v1/auth/verify-email/": (
        Call(body=lambda w, role: {"key": w.verify_key}),
        row(204, 204, 204, 204, 204, 204),
    ),
    "GET /api/v1/auth/me/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "PATCH /api/v1/auth/me/": (
        Call(body=lambda w, role: {"first_name": "New"}),
        row(401, 200, 200, 200, 200, 200),
    ),
    "DELETE /api/v1/auth/me/": (
        Call(body=lambda w, role: {"password": DEFAULT_PASSWORD}),
        row(401, 204, 204, 204, 204, 204),
    ),
    "GET /api/v1/users/": (Call(), row(401, 403, 403, 403, 403, 200, staff_view=200)),
    "GET /api/v1/users/{id}/": (
        Call(params=user_id(id="customer_b")),
        row(401, 403, 403, 403, 403, 200, staff_view=200),
    ),
    "PUT /api/v1/users/{id}/": (
        Call(params=user_id(id="customer_b"), body=lambda w, role: {"first_name": "Bo"}),
        row(401, 403, 403, 403, 403, 200),
    ),
    "PATCH /api/v1/users/{id}/": (
        Call(params=user_id(id="customer_b"), body=lambda w, role: {"is_active": False}),
        row(401, 403, 403, 403, 403, 200),
    ),
    "DELETE /api/v1/users/{id}/": (
        Call(params=user_id(id="customer_b")),
        row(401, 403, 403, 403, 403, 204),
    ),
    "GET /api/v1/users/{user_id}/orders/": (
        Call(params=user_id(user_id="customer_a")),
        row(401, 200, 404, 404, 404, 200, staff_view=200),
    ),
    "GET /api/v1/addresses/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "POST /api/v1/addresses/": (
        Call(body=lambda w, role: address_data()),
        row(401, 201, 201, 201, 201, 201),
    ),
    "GET /api/v1/addresses/{id}/": (
        Call(params=ids(id="address_a")),
        row(401, 200, 404, 404, 404, 404),
    ),
    "PUT /api/v1/addresses/{id}/": (
        Call(params=ids(id="address_a"), body=lambda w, role: address_data(city="Paris")),
        row(401, 200, 404, 404, 404, 404),
    ),
    "PATCH /api/v1/addresses/{id}/": (
        Call(params=ids(id="address_a"), body=lambda w, role: {"city": "Paris"}),
        row(401, 200, 404, 404, 404, 404),
    ),
    "DELETE /api/v1/addresses/{id}/": (
        Call(params=ids(id="address_a")),
        row(401, 204, 404, 404, 404, 404),
    ),
    # --- shops and catalog -------------------------------------------------------------
    "GET /api/v1/shops/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "POST /api/v1/shops/": (
        Call(body=lambda w, role: {"name": f"Shop of {role}"}),
        row(401, 201, 201, 201, 201, 201),
    ),
    "GET /api/v1/shops/{id}/": (Call(params=ids(id="shop_x")), row(200, 200, 200, 200, 200, 200)),
    "PUT /api/v1/shops/{id}/": (
        Call(params=ids(id="shop_x"), body=lambda w, role: SHOP_UPDATE),
        row(401, 403, 403, 200, 403, 200),
    ),
    "PATCH /api/v1/shops/{id}/": (
        Call(params=ids(id="shop_x"), body=lambda w, role: {"description": "New"}),
        row(401, 403, 403, 200, 403, 200),
    ),
    "DELETE /api/v1/shops/{id}/": (
        Call(params=ids(id="shop_x")),
        row(401, 403, 403, 204, 403, 204),
    ),
    # Shop X's zone and method: the "everywhere" ones every new shop starts with.
    "GET /api/v1/shops/{shop_id}/shipping-zones/": (
        Call(params=ids(shop_id="shop_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "POST /api/v1/shops/{shop_id}/shipping-zones/": (
        Call(
            params=ids(shop_id="shop_x"), body=lambda w, role: {"name": "UK", "countries": ["GB"]}
        ),
        row(401, 403, 403, 201, 403, 201),
    ),
    "GET /api/v1/shops/{shop_id}/shipping-zones/{id}/": (
        Call(params=zone_of("shop_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "PUT /api/v1/shops/{shop_id}/shipping-zones/{id}/": (
        Call(params=zone_of("shop_x"), body=lambda w, role: {"name": "World", "countries": []}),
        row(401, 403, 403, 200, 403, 200),
    ),
    "PATCH /api/v1/shops/{shop_id}/shipping-zones/{id}/": (
        Call(params=zone_of("shop_x"), body=lambda w, role: {"name": "World"}),
        row(401, 403, 403, 200, 403, 200),
    ),
    "DELETE /api/v1/shops/{shop_id}/shipping-zones/{id}/": (
        Call(params=zone_of("shop_x")),
        row(401, 403, 403, 204, 403, 204),
    ),
    "GET /api/v1/shops/{shop_id}/shipping-methods/": (
        Call(params=ids(shop_id="shop_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "POST /api/v1/shops/{shop_id}/shipping-methods/": (
        Call(
            params=ids(shop_id="shop_x"),
            body=lambda w, role: {
                "zone_id": w.shop_x.shipping_zones.get().pk,
                "name": "Express",
                "price": "9.00",
            },
        ),
        row(401, 403, 403, 201, 403, 201),
    ),
    "GET /api/v1/shops/{shop_id}/shipping-methods/{id}/": (
        Call(params=method_of("shop_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "PUT /api/v1/shops/{shop_id}/shipping-methods/{id}/": (
        Call(
            params=method_of("shop_x"),
            body=lambda w, role: {
                "zone_id": w.shop_x.shipping_zones.get().pk,
                "name": "Standard",
                "price": "3.00",
            },
        ),
        row(401, 403, 403, 200, 403, 200),
    ),
    "PATCH /api/v1/shops/{shop_id}/shipping-methods/{id}/": (
        Call(params=method_of("shop_x"), body=lambda w, role: {"price": "2.50"}),
        row(401, 403, 403, 200, 403, 200),
    ),
    "DELETE /api/v1/shops/{shop_id}/shipping-methods/{id}/": (
        Call(params=method_of("shop_x")),
        row(401, 403, 403, 204, 403, 204),
    ),
    "GET /api/v1/categories/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "POST /api/v1/categories/": (
        Call(body=lambda w, role: CATEGORY),
        row(401, 403, 403, 403, 403, 201),
    ),
    "GET /api/v1/categories/{id}/": (
        Call(params=ids(id="category")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "PUT /api/v1/categories/{id}/": (
        Call(params=ids(id="category_free"), body=lambda w, role: CATEGORY),
        row(401, 403, 403, 403, 403, 200),
    ),
    "PATCH /api/v1/categories/{id}/": (
        Call(params=ids(id="category_free"), body=lambda w, role: {"description": "Hot"}),
        row(401, 403, 403, 403, 403, 200),
    ),
    "DELETE /api/v1/categories/{id}/": (
        Call(params=ids(id="category_free")),
        row(401, 403, 403, 403, 403, 204),
    ),
    "GET /api/v1/tags/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "GET /api/v1/products/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "POST /api/v1/products/": (
        Call(body=lambda w, role: {**NEW_PRODUCT, "shop": w.shop_x.pk}),
        row(401, 403, 403, 201, 403, 201),
    ),
    "GET /api/v1/products/facets/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "GET /api/v1/products/search/": (
        Call(params=lambda w: {"q": "product"}),
        row(200, 200, 200, 200, 200, 200),
    ),
    "GET /api/v1/products/categories/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "GET /api/v1/products/{id}/": (
        Call(params=ids(id="product_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "GET /api/v1/products/{product_id}/recommendations/": (
        Call(params=ids(product_id="product_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "PUT /api/v1/products/{id}/": (
        Call(params=ids(id="product_x"), body=lambda w, role: PRODUCT_UPDATE),
        row(401, 403, 403, 200, 403, 200),
    ),
    "PATCH /api/v1/products/{id}/": (
        Call(params=ids(id="product_x"), body=lambda w, role: {"stock_quantity": 7}),
        row(401, 403, 403, 200, 403, 200),
    ),
    "DELETE /api/v1/products/{id}/": (
        Call(params=ids(id="product_x")),
        row(401, 403, 403, 204, 403, 204),
    ),
    "POST /api/v1/products/{id}/upload-image/": (
        Call(
            params=ids(id="product_x"),
            body=lambda w, role: {
                "image": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
            },
            multipart=True,
        ),
        row(401, 403, 403, 201, 403, 201),
    ),
    "GET /api/v1/products/{id}/variants/": (
        Call(params=ids(id="product_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    # X's product has no options: its one variant is all it may have (400 to those who
    # may change it, after the permission said yes).
    "POST /api/v1/products/{id}/variants/": (
        Call(params=ids(id="product_x"), body=lambda w, role: {"price": "5.00"}),
        row(401, 403, 403, 400, 403, 400),
    ),
    "GET /api/v1/variants/{id}/": (
        Call(params=variant_of("product_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "PATCH /api/v1/variants/{id}/": (
        Call(params=variant_of("product_x"), body=lambda w, role: {"stock_quantity": 7}),
        row(401, 403, 403, 200, 403, 200),
    ),
    # Its product's last variant: a product keeps one.
    "DELETE /api/v1/variants/{id}/": (
        Call(params=variant_of("product_x")),
        row(401, 403, 403, 400, 403, 400),
    ),
    "GET /api/v1/products/{product_id}/reviews/": (
        Call(params=ids(product_id="product_x")),
        row(200, 200, 200, 200, 200, 200),
    ),
    # Shop Y's product: its own members may not review it.
    "POST /api/v1/products/{product_id}/reviews/": (
        Call(params=ids(product_id="product_y"), body=lambda w, role: {"rating": 5}),
        row(401, 201, 201, 201, 403, 201),
    ),
    "GET /api/v1/reviews/{id}/": (
        Call(params=ids(id="review_a")),
        row(200, 200, 200, 200, 200, 200),
    ),
    "PATCH /api/v1/reviews/{id}/": (
        Call(params=ids(id="review_a"), body=lambda w, role: {"rating": 2}),
        row(401, 200, 403, 403, 403, 200),
    ),
    "DELETE /api/v1/reviews/{id}/": (
        Call(params=ids(id="review_a")),
        row(401, 204, 403, 403, 403, 204),
    ),
    # --- cart and orders ---------------------------------------------------------------
    "GET /api/v1/cart/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "DELETE /api/v1/cart/": (Call(), row(401, 204, 204, 204, 204, 204)),
    # A platform code, on carts that hold a line.
    "POST /api/v1/cart/voucher/": (
        Call(body=lambda w, role: {"code": platform_code(w)}),
        row(401, 200, 200, 200, 200, 200),
    ),
    "DELETE /api/v1/cart/voucher/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "GET /api/v1/wishlist/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "POST /api/v1/wishlist/": (
        Call(body=lambda w, role: {"product_id": w.product_y.pk}),
        row(401, 201, 201, 201, 201, 201),
    ),
    "DELETE /api/v1/wishlist/": (
        Call(body=lambda w, role: {"product_id": w.product_y.pk}),
        row(401, 200, 200, 200, 200, 200),
    ),
    "POST /api/v1/wishlist/move-to-cart/": (
        Call(body=lambda w, role: {"product_id": w.product_y.pk}),
        row(401, 200, 200, 200, 200, 200),
    ),
    # A guest cart's token: anyone, signed in or not (it reads no credentials).
    "POST /api/v1/cart/token/": (Call(), row(201, 201, 201, 201, 201, 201)),
    # The ways to pay the shop offers: anyone.
    "GET /api/v1/payments/providers/": (Call(), row(200, 200, 200, 200, 200, 200)),
    "POST /api/v1/cart/add/": (
        Call(body=lambda w, role: {"product_id": w.product_y.pk, "quantity": 1}),
        row(401, 200, 200, 200, 200, 200),
    ),
    "PUT /api/v1/cart/{item_id}/": (
        Call(params=ids(item_id="cart_item_a"), body=lambda w, role: {"quantity": 2}),
        row(401, 200, 404, 404, 404, 404),
    ),
    "DELETE /api/v1/cart/{item_id}/": (
        Call(params=ids(item_id="cart_item_a")),
        row(401, 204, 404, 404, 404, 404),
    ),
    "GET /api/v1/cart/shipping-options/": (
        Call(params=lambda w: {"country": "GB"}),
        row(401, 200, 200, 200, 200, 200),
    ),
    "POST /api/v1/cart/checkout/": (
        Call(body=lambda w, role: {"shipping_address": address_data()}),
        row(401, 201, 201, 201, 201, 201),
    ),
    "GET /api/v1/orders/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "POST /api/v1/orders/": (
        Call(body=lambda w, role: {"shipping_address": address_data()}),
        row(401, 201, 201, 201, 201, 201),
    ),
    # A's pending order has a line of shop X: X's owner sees it (that line), may not cancel.
    "GET /api/v1/orders/{id}/": (
        Call(params=ids(id="order_a")),
        row(401, 200, 404, 200, 404, 200, staff_view=200),
    ),
    # A's pending order: not delivered (409) for A; nobody else sees it... but its shop.
    "POST /api/v1/orders/{order_id}/returns/": (
        Call(
            params=ids(order_id="order_a"),
            body=lambda w, role: {
                "lines": [{"line_id": w.order_a.lines.first().pk, "quantity": 1}],
                "reason": "Too big",
            },
        ),
        row(401, 409, 404, 403, 404, 403, staff_view=403),
    ),
    "GET /api/v1/returns/": (Call(), row(401, 200, 200, 200, 200, 200)),
    # Notifications: each person's own, staff included (no permission reads another's).
    "GET /api/v1/notifications/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "POST /api/v1/notifications/{id}/read/": (
        Call(params=notification_of_a),
        row(401, 200, 404, 404, 404, 404),
    ),
    "POST /api/v1/notifications/read-all/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "GET /api/v1/returns/{id}/": (
        Call(params=return_of_a),
        row(401, 200, 404, 404, 404, 200, staff_view=200),
    ),
    "POST /api/v1/returns/{id}/approve/": (
        Call(params=return_of_a, body=lambda w, role: {}),
        row(401, 403, 404, 404, 404, 200, staff_view=403),
    ),
    "POST /api/v1/returns/{id}/refuse/": (
        Call(params=return_of_a, body=lambda w, role: {"note": "No"}),
        row(401, 403, 404, 404, 404, 200, staff_view=403),
    ),
    "POST /api/v1/returns/{id}/receive/": (
        Call(params=return_of_a, body=lambda w, role: {"resellable": True}),
        row(401, 403, 404, 404, 404, 409, staff_view=403),
    ),
    "GET /api/v1/orders/{order_id}/invoices/": (
        Call(params=ids(order_id="order_a")),
        row(401, 200, 404, 200, 404, 200, staff_view=200),
    ),
    # Shop Z's invoice of A's paid order: A, shop Z's members (none here) and staff.
    "GET /api/v1/invoices/{invoice_id}/pdf/": (
        Call(params=paid_orders_invoice),
        row(401, 200, 404, 404, 404, 200, staff_view=200),
    ),
    "DELETE /api/v1/orders/{id}/": (
        Call(params=ids(id="order_a")),
        row(401, 200, 404, 403, 404, 200, staff_view=403),
    ),
    "PUT /api/v1/orders/{id}/status/": (
        Call(params=ids(id="order_a"), body=lambda w, role: {"status": "cancelled"}),
        row(401, 403, 403, 403, 403, 200),
    ),
    # A's order is pending: who may fulfil shop X's line gets 409 (not paid yet).
    "POST /api/v1/orders/{id}/fulfilments/": (
        Call(params=ids(id="order_a"), body=lambda w, role: {"shop_id": w.shop_x.pk}),
        row(401, 403, 404, 409, 404, 409, staff_view=403),
    ),
    "GET /api/v1/reports/sales/": (Call(), row(401, 403, 403, 403, 403, 200, staff_view=200)),
    # Owners read their shops' statements; staff who see sales, every shop's.
    "GET /api/v1/reports/seller-statements/": (
        Call(),
        row(401, 403, 403, 200, 200, 200, staff_view=200),
    ),
    # --- promotions: shop X's, run by its owner and staff -------------------------------
    "GET /api/v1/promotions/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "POST /api/v1/promotions/": (
        Call(
            body=lambda w, role: {
                "shop_id": w.shop_x.pk,
                "name": "Spring",
                "reward": "percentage",
                "value": "15",
            }
        ),
        row(401, 403, 403, 201, 403, 201),
    ),
    "GET /api/v1/promotions/{id}/": (
        Call(params=lambda w: {"id": promotion_of("shop_x")(w).pk}),
        row(401, 404, 404, 200, 404, 200, staff_view=200),
    ),
    "PATCH /api/v1/promotions/{id}/": (
        Call(
            params=lambda w: {"id": promotion_of("shop_x")(w).pk},
            body=lambda w, role: {"value": "20"},
        ),
        row(401, 404, 404, 200, 404, 200, staff_view=403),
    ),
    "DELETE /api/v1/promotions/{id}/": (
        Call(params=lambda w: {"id": promotion_of("shop_x")(w).pk}),
        row(401, 404, 404, 204, 404, 204, staff_view=403),
    ),
    "POST /api/v1/promotions/{id}/codes/": (
        Call(
            params=lambda w: {"id": promotion_of("shop_x")(w).pk},
            body=lambda w, role: {"count": 3},
        ),
        row(401, 404, 404, 201, 404, 201, staff_view=403),
    ),
    "GET /api/v1/vouchers/": (Call(), row(401, 200, 200, 200, 200, 200)),
    # Someone who does not run the promotion is told it is none of theirs (400).
    "POST /api/v1/vouchers/": (
        Call(
            body=lambda w, role: {
                "promotion_id": promotion_of("shop_x")(w).pk,
                "code": "ANOTHER",
            }
        ),
        row(401, 400, 400, 201, 400, 201, staff_view=403),
    ),
    "GET /api/v1/vouchers/{id}/": (
        Call(params=lambda w: {"id": promotion_of("shop_x")(w).vouchers.get().pk}),
        row(401, 404, 404, 200, 404, 200, staff_view=200),
    ),
    "DELETE /api/v1/vouchers/{id}/": (
        Call(params=lambda w: {"id": promotion_of("shop_x")(w).vouchers.get().pk}),
        row(401, 404, 404, 204, 404, 204, staff_view=403),
    ),
    "GET /api/v1/vouchers/export/": (Call(), row(401, 200, 200, 200, 200, 200)),
    # --- payments ----------------------------------------------------------------------
    "POST /api/v1/payments/create/": (
        Call(body=lambda w, role: {"order_id": str(w.order_a.pk)}),
        row(401, 200, 404, 404, 404, 404),
    ),
    "POST /api/v1/payments/confirm/": (
        Call(
            body=lambda w, role: {
                "payment_id": str(w.payment_a.pk),
                "payment_method": "pm_card_visa",
            }
        ),
        row(401, 200, 404, 404, 404, 404),
    ),
    "GET /api/v1/payments/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "GET /api/v1/payments/{id}/": (
        Call(params=ids(id="payment_a")),
        row(401, 200, 404, 404, 404, 200, staff_view=200),
    ),
    "POST /api/v1/payments/refund/": (
        Call(body=lambda w, role: {"payment_id": str(w.payment_paid.pk), "amount": "1.00"}),
        row(401, 403, 403, 403, 403, 201),
    ),
    "GET /api/v1/payments/methods/": (Call(), row(401, 200, 200, 200, 200, 200)),
    "DELETE /api/v1/payments/methods/{id}/": (
        Call(params=ids(id="method_a")),
        row(401, 204, 404, 404, 404, 404),
    ),
}


def api_operations() -> set[str]:
    """Every operation of the schema under /api/v1/ ("METHOD /path/{param}/")."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_table_has_a_row_for_every_operation():
    operations = api_operations()
    assert operations - set(MATRIX) == set(), "operations without a row in MATRIX"
    assert set(MATRIX) - operations == set(), "rows of operations that no longer exist"


def ask(world: World, role: str, operation: str, call: Call) -> int:
    method, template = operation.split(" ", 1)
    path = template
    query = {}
    params = call.params(world) if call.params else {}
    for name, value in params.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(value))
        else:
            query[name] = value
    client = world.client(role)
    body = call.body(world, role) if call.body else None
    if method == "GET":
        response = client.get(path, query)
    elif call.multipart:
        response = (
            client.generic(method, path)
            if body is None
            else client.post(path, body, format="multipart")
        )
    else:
        response = getattr(client, method.lower())(path, body, format="json")
    if response.status_code >= 400:
        assert response.json()["code"], response.content  # the error shape, always
    return response.status_code


@pytest.mark.parametrize("operation", sorted(MATRIX))
def test_who_may_do_what(operation, shared_world, db):
    call, expected = MATRIX[operation]
    answers = {}
    for role in ROLES:
        cache.clear()  # throttle counters
        with rolled_back():
            answers[role] = ask(shared_world, role, operation, call)
    assert answers == expected
