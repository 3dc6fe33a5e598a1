"""People and shops for the catalog API tests.

Shop A has an owner and a shop_staff member; shop B has an owner; a customer belongs
to no shop; platform staff come from tests/conftest.py.
"""

import io

import pytest
from PIL import Image

from tests.conftest import bearer_client
from tests.factories import MembershipFactory, ShopFactory, UserFactory


@pytest.fixture
def shop_a(db):
    return ShopFactory(name="Alpha Audio", slug="alpha-audio")


@pytest.fixture
def shop_b(db):
    return ShopFactory(name="Beta Books", slug="beta-books")


@pytest.fixture
def owner_a(shop_a):
    return MembershipFactory(shop=shop_a, role="owner").user


@pytest.fixture
def clerk_a(shop_a):
    """A shop_staff member of shop A."""
    return MembershipFactory(shop=shop_a, role="staff").user


@pytest.fixture
def owner_b(shop_b):
    return MembershipFactory(shop=shop_b, role="owner").user


@pytest.fixture
def customer(db):
    return UserFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def client_of():
    """`client_of(user)`: an API client signed in as `user` (None: anonymous)."""
    from rest_framework.test import APIClient

    return lambda user: bearer_client(user) if user is not None else APIClient()


def png_bytes(size=(8, 8), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 1).save(buffer, "PNG")
    return buffer.getvalue()
