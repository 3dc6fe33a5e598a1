"""A document's PDF, for its buyer, the members of its shop and staff who see orders."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from invoices import selectors
from invoices.tasks import invoice_render


def invoice_file(invoice) -> FileResponse:
    """The document's PDF as a download, drawn now if the worker has not yet."""
    invoice_render(invoice)
    return FileResponse(
        invoice.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"{invoice.number}.pdf",
    )


@require_safe
def invoice_pdf(request: HttpRequest, invoice_id: int) -> FileResponse:
    invoice = selectors.invoice_get_for(user=request.user, invoice_id=invoice_id)
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice_file(invoice)
