"""The addresses of a payment's result pages, for the pages and the services (a
provider's return address)."""

from __future__ import annotations

from django.urls import reverse


def result_path(name: str, *, order_id, payment_id) -> str:
    """`payments:paid` or `payments:failed` of an order, naming the payment."""
    return f"{reverse(name, args=[order_id])}?payment={payment_id}"
