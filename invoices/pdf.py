"""An invoice or credit note as a PDF, drawn with ReportLab (pure Python: no system
library to install, so the quickstart makes PDFs on any machine)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import dateformat
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.i18n import in_language_of
from invoices.models import DocumentKind, Invoice


def _text(value: str) -> str:
    return escape(str(value or "")).replace("\n", "<br/>")


def invoice_pdf(invoice: Invoice) -> bytes:
    """The document drawn in its buyer's language (core.i18n): the labels, the kind,
    the dates' month names. Its lines are a snapshot, written in that language too when
    it was issued (invoices.services)."""
    with in_language_of(invoice.order.user, fallback=invoice.order.language):
        return _draw(invoice)


def _draw(invoice: Invoice) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{invoice.title} {invoice.number}",
        author=invoice.seller.get("name", ""),
    )
    seller, buyer = invoice.seller, invoice.buyer
    story = [
        Paragraph(f"{invoice.title} {_text(invoice.number)}", styles["Title"]),
        Paragraph(
            _text(
                _("Issued %(date)s · Order %(number)s")
                % {
                    "date": dateformat.format(invoice.issued_at, "d F Y"),
                    "number": invoice.order.number,
                }
            ),
            styles["Normal"],
        ),
    ]
    if invoice.kind == DocumentKind.CREDIT_NOTE and invoice.credits_id:
        story.append(
            Paragraph(
                _text(_("Corrects invoice %(number)s") % {"number": invoice.credits.number}),
                styles["Normal"],
            )
        )
    story.append(Spacer(1, 6 * mm))
    parties = Table(
        [
            [
                Paragraph(f"<b>{_text(_('Seller'))}</b>", styles["Normal"]),
                Paragraph(f"<b>{_text(_('Buyer'))}</b>", styles["Normal"]),
            ],
            [
                Paragraph(
                    "<br/>".join(
                        _text(part)
                        for part in (seller.get("name"), seller.get("address"), seller.get("email"))
                        if part
                    ),
                    styles["Normal"],
                ),
                Paragraph(
                    "<br/>".join(
                        _text(part)
                        for part in (buyer.get("name"), buyer.get("address"), buyer.get("email"))
                        if part
                    ),
                    styles["Normal"],
                ),
            ],
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [parties, Spacer(1, 8 * mm)]

    currency = invoice.currency
    rows = [
        [
            _("Item"),
            # Translators: the invoice's column of quantities, short.
            _("Qty"),
            _("Unit price"),
            _("Discount"),
            # Translators: the invoice's column of tax rates, in percent.
            _("Tax %"),
            _("Tax"),
            _("Amount"),
        ]
    ]
    for line in invoice.lines:
        description = line["description"] + (f" · {line['sku']}" if line.get("sku") else "")
        rows.append(
            [
                Paragraph(_text(description), styles["Normal"]),
                str(line["quantity"]),
                line["unit_price"],
                line["discount"],
                line["tax_rate"],
                line["tax"],
                line["amount"],
            ]
        )
    table = Table(rows, colWidths=[66 * mm, 12 * mm, 22 * mm, 20 * mm, 14 * mm, 18 * mm, 22 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    tax_label = _("Including tax") if invoice.prices_include_tax else _("Tax")
    figures = [[_("Subtotal"), f"{invoice.subtotal:.2f}"]]
    if invoice.shipping:
        figures.append([_("Shipping"), f"{invoice.shipping:.2f}"])
    if invoice.discount:
        figures.append([_("Discounts"), f"-{invoice.discount:.2f}"])
    if not invoice.prices_include_tax:
        figures.append([tax_label, f"{invoice.tax_total:.2f}"])
    if invoice.kind == DocumentKind.CREDIT_NOTE:
        label = _("Amount credited (%(currency)s)") % {"currency": currency}
    else:
        label = _("Total (%(currency)s)") % {"currency": currency}
    figures.append([label, f"{invoice.total:.2f}"])
    if invoice.prices_include_tax:
        figures.append([tax_label, f"{invoice.tax_total:.2f}"])
    totals = Table(figures, colWidths=[40 * mm, 30 * mm], hAlign="RIGHT")
    totals.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                (
                    "FONTNAME",
                    (0, -1 if not invoice.prices_include_tax else -2),
                    (-1, -1 if not invoice.prices_include_tax else -2),
                    "Helvetica-Bold",
                ),
            ]
        )
    )
    story.append(totals)
    document.build(story)
    return buffer.getvalue()
