"""`manage.py seed_promotions`: the quickstart's demo code and sale, made once, and the
sale moved on when it ended."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from promotions.models import Promotion, Voucher
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_promotions", stdout=out)
    return out.getvalue()


def test_the_demo_promotions_are_made_once_and_the_sale_moves_on():
    CategoryFactory(name="Home")
    output = seed()
    assert "WELCOME10" in output and "15% off Home" in output
    seed()
    assert Voucher.objects.filter(code="WELCOME10").count() == 1
    sale = Promotion.objects.get(kind="sale")
    assert sale.starts_at <= timezone.now() < sale.ends_at

    Promotion.objects.filter(pk=sale.pk).update(
        starts_at=timezone.now() - timedelta(days=9), ends_at=timezone.now() - timedelta(days=2)
    )
    seed()
    sale.refresh_from_db()
    assert sale.ends_at > timezone.now() + timedelta(days=6)
    assert Promotion.objects.filter(kind="sale").count() == 1
