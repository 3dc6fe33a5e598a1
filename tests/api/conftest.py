"""A small shop with one of everything, and a signed-in client for each kind of caller.

The permissions matrix and the schema fuzzing both run against it: two customers (A and
B), the owners of shop X and of shop Y, and platform staff (with every permission, with
none, and with only the view permissions); A has an address, a review,
a cart, a pending order with a line from shop X (and an open payment), a paid order and
a saved card. Everything is made through the services, as the API would.
"""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.db import transaction
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services as account_services
from cart import services as cart_services
from catalog import services as catalog_services
from orders import services as order_services
from payments import services as payment_services
from shops import services as shop_services
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
    address_data,
    verify_email,
)

ROLES = (
    "anonymous",
    "customer_a",
    "customer_b",
    "owner_x",
    "owner_y",
    "staff",
    "staff_none",
    "staff_view",
)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class World:
    users: dict[str, Any]
    shop_x: Any
    shop_y: Any
    shop_z: Any
    product_x: Any
    product_y: Any
    product_z: Any
    category: Any
    category_free: Any
    tag: Any
    review_a: Any
    address_a: Any
    cart_item_a: Any
    order_a: Any
    payment_a: Any
    order_paid: Any
    payment_paid: Any
    method_a: Any
    reset_uid: str
    reset_token: str
    verify_key: str
    refresh_tokens: dict[str, str] = field(default_factory=dict)

    def user(self, role: str):
        return self.users.get(role)

    def client(self, role: str) -> APIClient:
        client = APIClient()
        user = self.user(role)
        if user is not None:
            refresh = RefreshToken.for_user(user)
            self.refresh_tokens[role] = str(refresh)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
        return client

    def access_token(self, role: str) -> str:
        return str(RefreshToken.for_user(self.user(role)).access_token)

    def refresh_token(self, role: str) -> str:
        """A refresh token of the role's user (customer A's for the anonymous caller)."""
        user = self.user(role) or self.user("customer_a")
        return str(RefreshToken.for_user(user))

    def email(self, role: str) -> str:
        return (self.user(role) or self.user("customer_a")).email


def build_world() -> World:
    users = {
        "customer_a": verify_email(UserFactory(first_name="Ada", last_name="Lovelace")),
        "customer_b": verify_email(UserFactory(first_name="Bob", last_name="Babbage")),
        "owner_x": verify_email(UserFactory()),
        "owner_y": verify_email(UserFactory()),
        # Platform staff with every model permission (not a superuser), with none at all,
        # and with only the view permissions: the API asks what the admin asks.
        "staff": verify_email(StaffFactory()),
        "staff_none": verify_email(StaffFactory(permissions=[])),
        "staff_view": verify_email(StaffFactory(permissions=["view"])),
    }
    merchant_z = UserFactory()
    shop_x = shop_services.shop_create(owner=users["owner_x"], data={"name": "Shop X"})
    shop_y = shop_services.shop_create(owner=users["owner_y"], data={"name": "Shop Y"})
    shop_z = shop_services.shop_create(owner=merchant_z, data={"name": "Shop Z"})
    category = CategoryFactory()
    category_free = CategoryFactory()
    tag = TagFactory()
    product_x = ProductFactory(shop=shop_x, category=category, tags=[tag], stock_quantity=50)
    product_y = ProductFactory(shop=shop_y, category=category, stock_quantity=50)
    product_z = ProductFactory(shop=shop_z, stock_quantity=500)
    catalog_services.product_image_add(
        user=users["owner_x"],
        product=product_x,
        upload=_upload(),
        alt="Red",
    )
    customer_a = users["customer_a"]
    review_a = catalog_services.review_create(
        user=customer_a, product=product_x, rating=4, title="Good", body="Works."
    )
    address_a = account_services.address_create(user=customer_a, data=address_data())

    # A's pending order has a line of shop X (so X's owner sees that line) and an open
    # payment; a second order is paid, with the card saved.
    cart_a = cart_services.cart_get_for_user(user=customer_a)
    cart_services.cart_add_item(cart=cart_a, product=product_x, quantity=1)
    cart_services.cart_add_item(cart=cart_a, product=product_z, quantity=1)
    order_a = order_services.order_place(
        user=customer_a, cart=cart_a, shipping_address=address_a.as_snapshot()
    )
    payment_a, _ = payment_services.payment_create(user=customer_a, order=order_a)
    cart_services.cart_add_item(cart=cart_a, product=product_z, quantity=2)
    order_paid = order_services.order_place(
        user=customer_a, cart=cart_a, shipping_address=address_a.as_snapshot()
    )
    payment_paid, _ = payment_services.payment_create(user=customer_a, order=order_paid)
    payment_paid = payment_services.payment_confirm(
        payment=payment_paid, payment_method="pm_card_visa", save_payment_method=True
    )
    method_a = customer_a.payment_methods.get()

    # Everybody has something in the cart, so that checking out can succeed.
    for user in users.values():
        cart_services.cart_add_item(
            cart=cart_services.cart_get_for_user(user=user), product=product_z, quantity=1
        )
    cart_item_a = cart_a.items.get()

    pending = UserFactory()
    address = EmailAddress.objects.create(user=pending, email=pending.email, primary=True)
    reset_uid, reset_token = account_services.password_reset_token_make(user=customer_a)
    return World(
        users={"anonymous": None, **users},
        shop_x=shop_x,
        shop_y=shop_y,
        shop_z=shop_z,
        product_x=product_x,
        product_y=product_y,
        product_z=product_z,
        category=category,
        category_free=category_free,
        tag=tag,
        review_a=review_a,
        address_a=address_a,
        cart_item_a=cart_item_a,
        order_a=order_a,
        payment_a=payment_a,
        order_paid=order_paid,
        payment_paid=payment_paid,
        method_a=method_a,
        reset_uid=reset_uid,
        reset_token=reset_token,
        verify_key=EmailConfirmationHMAC(address).key,
    )


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("red.png", png_bytes(), content_type="image/png")


MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker) -> World:
    """One world for a whole test module, made once and rolled back at its end; each
    test's own transaction (the `db` fixture) sits inside it. Tests that change the world
    roll their changes back themselves."""
    # The fast hasher of tests/conftest.py, which module fixtures do not get.
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=[MD5_HASHER]):
            world = build_world()
        yield world
        transaction.set_rollback(True)


@contextmanager
def rolled_back():
    """What happens inside is undone at its end (a savepoint rolled back)."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


# --- The schema, as /api/schema/ serves it (test_schema.py, test_content_types.py) --------

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    """("METHOD /path", operation) for every operation of the schema."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation
