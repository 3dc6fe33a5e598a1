"""Issuing invoices and credit notes (see invoices.models).

A number is taken from the shop's `InvoiceSequence` row, locked, in the transaction that
writes the document: a document that is not written gives its number back with the
rollback, and two workers never take the same one. The order's row is locked first, so
that two workers issuing the same order's invoices wait for each other (and the second
finds them written); shops are numbered in id order, so no two issuers deadlock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.i18n import in_language_of
from invoices.models import DocumentKind, Invoice, InvoiceSequence
from orders.models import PAID_STATUSES, Order
from shops.models import Shop
from taxes.services import money_split, round_half_up

ZERO = Decimal("0.00")


def document_prefix(shop: Shop) -> str:
    """The shop's part of its numbers: its address name in capitals ("LUMEN-LAMPS")."""
    prefix = re.sub(r"[^A-Z0-9-]", "", shop.slug.upper())[:16].strip("-")
    return prefix or f"SHOP{shop.pk}"


def document_number(shop: Shop, kind: str, year: int, sequence: int) -> str:
    middle = "-CN" if kind == DocumentKind.CREDIT_NOTE else ""
    return f"{document_prefix(shop)}{middle}-{year}-{sequence:06d}"


def _next_sequence(shop_id: int, kind: str, year: int) -> int:
    InvoiceSequence.objects.get_or_create(shop_id=shop_id, kind=kind, year=year)
    row = InvoiceSequence.objects.select_for_update().get(shop_id=shop_id, kind=kind, year=year)
    row.last_number += 1
    row.save(update_fields=["last_number"])
    return row.last_number


def _seller(shop: Shop) -> dict:
    return {"name": shop.name, "address": shop.address, "email": shop.email}


def _buyer(order: Order) -> dict:
    address = order.billing_address or order.shipping_address or {}
    parts = [
        address.get("line1", ""),
        address.get("line2", ""),
        " ".join(p for p in (address.get("postal_code", ""), address.get("city", "")) if p),
        address.get("region", ""),
        address.get("country", ""),
    ]
    return {
        "name": address.get("full_name", ""),
        "email": order.user.email if order.user_id else order.email,
        "address": "\n".join(part for part in parts if part),
    }


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _in_buyers_language(order: Order, write: Callable[..., str], *args) -> str:
    """A document's words are a snapshot in its buyer's language, as its PDF (pdf.py)."""
    with in_language_of(order.user, fallback=order.language):
        return write(*args)


def _shipping_line(method_name: str) -> str:
    return _("Shipping: %(method)s") % {"method": method_name}


def _lock_order(order_id) -> Order | None:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=order_id)
        .first()
    )


@transaction.atomic
def invoices_issue(*, order_id) -> list[Invoice]:
    """Each shop's invoice for a paid order (those not issued yet); answers the new ones.
    Their PDFs are made by a worker after commit."""
    order = _lock_order(order_id)
    if order is None or order.status not in PAID_STATUSES:
        return []
    issued = set(
        Invoice.objects.filter(order=order, kind=DocumentKind.INVOICE).values_list(
            "shop_id", flat=True
        )
    )
    lines = list(order.lines.order_by("id"))
    shipments = {shipment.shop_id: shipment for shipment in order.shipments.all()}
    shops = Shop.objects.in_bulk({line.shop_id for line in lines} - issued)
    now = timezone.now()
    made = []
    for shop_id in sorted(shops):
        shop = shops[shop_id]
        shop_lines = [line for line in lines if line.shop_id == shop_id]
        shipment = shipments.get(shop_id)
        rows = [
            {
                "description": line.product_name
                + (f" ({line.variant_options})" if line.variant_options else ""),
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "discount": _money(line.discount_amount),
                "tax_rate": f"{line.tax_rate:.2f}",
                "tax": _money(line.tax_amount),
                "amount": _money(line.line_total - line.discount_amount),
            }
            for line in shop_lines
        ]
        subtotal = sum((line.line_total for line in shop_lines), ZERO)
        discount = sum((line.discount_amount for line in shop_lines), ZERO)
        tax = sum((line.tax_amount for line in shop_lines), ZERO)
        shipping = ZERO
        if shipment is not None:
            shipping = shipment.price
            discount += shipment.discount_amount
            tax += shipment.tax_amount
            rows.append(
                {
                    "description": _in_buyers_language(order, _shipping_line, shipment.method_name),
                    "sku": "",
                    "quantity": 1,
                    "unit_price": _money(shipment.price),
                    "discount": _money(shipment.discount_amount),
                    "tax_rate": f"{shipment.tax_rate:.2f}",
                    "tax": _money(shipment.tax_amount),
                    "amount": _money(shipment.price - shipment.discount_amount),
                }
            )
        total = subtotal + shipping - discount + (ZERO if order.prices_include_tax else tax)
        sequence = _next_sequence(shop_id, DocumentKind.INVOICE, now.year)
        made.append(
            Invoice.objects.create(
                kind=DocumentKind.INVOICE,
                number=document_number(shop, DocumentKind.INVOICE, now.year, sequence),
                sequence=sequence,
                year=now.year,
                shop=shop,
                order=order,
                issued_at=now,
                currency=order.currency,
                seller=_seller(shop),
                buyer=_buyer(order),
                lines=rows,
                subtotal=subtotal,
                shipping=shipping,
                discount=discount,
                tax_total=tax,
                total=total,
                prices_include_tax=order.prices_include_tax,
            )
        )
    _render_after_commit(made)
    return made


# Apps above invoices that know what a refund was for (returns: the units sent back)
# describe it on its credit note: describe(refund_ref) -> "1 x Desk Lamp" or "".
_refund_describers: list[Callable[[str], str]] = []


def register_refund_describer(describe: Callable[[str], str]) -> None:
    if describe not in _refund_describers:
        _refund_describers.append(describe)


def _refund_line(refund_ref: str, invoice: Invoice) -> str:
    for describe in _refund_describers:
        what = describe(refund_ref) if refund_ref else ""
        if what:
            return _("Returned: %(what)s (invoice %(number)s)") % {
                "what": what,
                "number": invoice.number,
            }
    return _("Refund on invoice %(number)s") % {"number": invoice.number}


@transaction.atomic
def credit_notes_issue(
    *, order_id, amount: Decimal, refund_ref: str, shop_id: int | None = None
) -> list[Invoice]:
    """A refund of `amount` on the order, credited by each shop in proportion to its
    invoice (to the cent: taxes.services.money_split), its tax in the same proportion;
    by `shop_id`'s alone when it names the shop (a return). A refund (`refund_ref`) is
    credited once; its invoices are issued first if a worker has not done so yet."""
    order = _lock_order(order_id)
    if order is None or amount <= 0:
        return []
    if refund_ref and Invoice.objects.filter(refund_ref=refund_ref).exists():
        return []
    invoices = list(
        Invoice.objects.filter(order=order, kind=DocumentKind.INVOICE).select_related("shop")
    )
    if not invoices:
        invoices = [*invoices_issue(order_id=order.pk)]
    invoices = [invoice for invoice in invoices if invoice.total > 0]
    if shop_id is not None:
        invoices = [invoice for invoice in invoices if invoice.shop_id == shop_id] or invoices
    if not invoices:
        return []
    whole = sum((invoice.total for invoice in invoices), ZERO)
    shares = money_split(min(amount, whole), {i.shop_id: i.total for i in invoices}, whole=whole)
    now = timezone.now()
    made = []
    for invoice in sorted(invoices, key=lambda invoice: invoice.shop_id):
        share = shares.get(invoice.shop_id, ZERO)
        if share <= 0:
            continue
        tax = round_half_up(share * invoice.tax_total / invoice.total)
        sequence = _next_sequence(invoice.shop_id, DocumentKind.CREDIT_NOTE, now.year)
        made.append(
            Invoice.objects.create(
                kind=DocumentKind.CREDIT_NOTE,
                number=document_number(invoice.shop, DocumentKind.CREDIT_NOTE, now.year, sequence),
                sequence=sequence,
                year=now.year,
                shop=invoice.shop,
                order=order,
                credits=invoice,
                refund_ref=refund_ref,
                issued_at=now,
                currency=invoice.currency,
                seller=_seller(invoice.shop),
                buyer=invoice.buyer,
                lines=[
                    {
                        "description": _in_buyers_language(
                            order, _refund_line, refund_ref, invoice
                        ),
                        "sku": "",
                        "quantity": 1,
                        "unit_price": _money(share),
                        "discount": _money(ZERO),
                        "tax_rate": "",
                        "tax": _money(tax),
                        "amount": _money(share),
                    }
                ],
                subtotal=share if invoice.prices_include_tax else share - tax,
                tax_total=tax,
                total=share,
                prices_include_tax=invoice.prices_include_tax,
            )
        )
    _render_after_commit(made)
    return made


def _render_after_commit(documents: list[Invoice]) -> None:
    from invoices.tasks import invoice_render_and_send

    for document in documents:
        document_id = document.pk
        transaction.on_commit(
            lambda document_id=document_id: invoice_render_and_send.delay(document_id)
        )
