"""An invoice or credit note as a PDF, drawn with ReportLab (pure Python: no system
library to install, so the quickstart makes PDFs on any machine)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from invoices.models import DocumentKind, Invoice


def _text(value: str) -> str:
    return escape(str(value or "")).replace("\n", "<br/>")


def invoice_pdf(invoice: Invoice) -> bytes:
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
            f"Issued {invoice.issued_at:%d %B %Y} · Order {_text(invoice.order.number)}",
            styles["Normal"],
        ),
    ]
    if invoice.kind == DocumentKind.CREDIT_NOTE and invoice.credits_id:
        story.append(
            Paragraph(f"Corrects invoice {_text(invoice.credits.number)}", styles["Normal"])
        )
    story.append(Spacer(1, 6 * mm))
    parties = Table(
        [
            [
                Paragraph("<b>Seller</b>", styles["Normal"]),
                Paragraph("<b>Buyer</b>", styles["Normal"]),
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
    rows = [["Item", "Qty", "Unit price", "Discount", "Tax %", "Tax", "Amount"]]
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
    tax_label = "Including tax" if invoice.prices_include_tax else "Tax"
    figures = [["Subtotal", f"{invoice.subtotal:.2f}"]]
    if invoice.shipping:
        figures.append(["Shipping", f"{invoice.shipping:.2f}"])
    if invoice.discount:
        figures.append(["Discounts", f"-{invoice.discount:.2f}"])
    if not invoice.prices_include_tax:
        figures.append([tax_label, f"{invoice.tax_total:.2f}"])
    label = "Amount credited" if invoice.kind == DocumentKind.CREDIT_NOTE else "Total"
    figures.append([f"{label} ({currency})", f"{invoice.total:.2f}"])
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
