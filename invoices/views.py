"""A document's PDF, for its buyer, the members of its shop and staff who see orders."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from invoices import selectors
from invoices.tasks import invoice_render
from orders.access import page_viewers


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
    for viewer in page_viewers(request):  # the signed-in, or a guest holding the link
        invoice = selectors.invoice_get_for(user=viewer, invoice_id=invoice_id)
        if invoice is not None:
            return invoice_file(invoice)
    raise Http404(_("No such invoice."))
