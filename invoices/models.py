"""Invoices and credit notes: one invoice per shop's part of a paid order, one credit
note per shop's part of a refund. Numbers run per shop, kind and year without a gap
(`InvoiceSequence`, taken in the transaction that writes the document). What a document
says is a snapshot: later changes to the shop, the buyer or the order do not touch it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from shops.models import Shop


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceSequence(models.Model):
    """The last number a shop gave to a kind of document in a year."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "kind", "year"], name="invoice_sequence_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.kind} {self.year}: {self.last_number}"


class Invoice(models.Model):
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    number = models.CharField(max_length=40, unique=True)
    sequence = models.PositiveIntegerField()
    year = models.PositiveSmallIntegerField()
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    # A credit note: the invoice it corrects, and the refund it records (its id at the
    # payments app, so that a refund is credited once).
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    refund_ref = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    seller = models.JSONField()  # name, address, email
    buyer = models.JSONField()  # name, email, address
    # [{description, sku, quantity, unit_price, discount, tax_rate, tax, amount}]
    lines = models.JSONField()
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    prices_include_tax = models.BooleanField(default=False)
    pdf = models.FileField(upload_to="invoices/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind", "year", "sequence"], name="invoice_number_once"
            ),
            models.UniqueConstraint(
                fields=["order", "shop"],
                condition=Q(kind="invoice"),
                name="invoice_once_per_order_and_shop",
            ),
            models.UniqueConstraint(
                fields=["refund_ref", "shop"],
                condition=~Q(refund_ref=""),
                name="credit_note_once_per_refund_and_shop",
            ),
        ]
        indexes = [models.Index(fields=["order", "kind"])]

    def __str__(self) -> str:
        return self.number

    @property
    def title(self) -> str:
        return self.get_kind_display()
