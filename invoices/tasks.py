"""Workers of invoicing: issue a paid order's invoices, a refund's credit notes, and
draw, store and mail each document."""

from __future__ import annotations

from decimal import Decimal

from celery import shared_task
from django.core.files.base import ContentFile

from core.emails import render_email, send_once
from core.i18n import language_of
from invoices import services
from invoices.models import Invoice
from invoices.pdf import invoice_pdf
from orders.links import order_url
from orders.selectors import order_recipient


@shared_task
def issue_invoices(order_id: str) -> int:
    return len(services.invoices_issue(order_id=order_id))


@shared_task
def issue_credit_notes(
    order_id: str, amount: str, refund_ref: str, shop_id: int | None = None
) -> int:
    return len(
        services.credit_notes_issue(
            order_id=order_id, amount=Decimal(amount), refund_ref=refund_ref, shop_id=shop_id
        )
    )


def invoice_render(invoice: Invoice) -> Invoice:
    """Draw the document's PDF and store it (local media, or S3 when configured)."""
    if not invoice.pdf:
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(invoice_pdf(invoice)), save=False)
        Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return invoice


@shared_task
def invoice_render_and_send(invoice_id: int) -> None:
    invoice = (
        Invoice.objects.select_related("order__user", "shop", "credits")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        return
    invoice_render(invoice)
    recipient = order_recipient(invoice.order)
    if not recipient:
        return
    message = render_email(
        "invoices/email/document",
        to=[recipient],
        context={
            "invoice": invoice,
            "order": invoice.order,
            "user": invoice.order.user,
            "order_url": order_url(invoice.order),
        },
        language=language_of(invoice.order.user, fallback=invoice.order.language),
    )
    with invoice.pdf.open("rb") as stored:
        message.attach(f"{invoice.number}.pdf", stored.read(), "application/pdf")
    send_once(message, key=f"invoice:{invoice.pk}")
