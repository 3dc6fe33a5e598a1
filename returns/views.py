"""The order page's "Request a return" form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import error_text
from orders.access import order_for_page
from returns.services import return_request


@require_POST
def request_return(request: HttpRequest, order_id) -> HttpResponse:
    order, viewer = order_for_page(request, order_id)
    lines = []
    for key, value in request.POST.items():
        wanted = str(value).strip()
        if key.startswith("line_") and key[5:].isdigit() and wanted.isdigit() and int(wanted) > 0:
            lines.append({"line_id": int(key[5:]), "quantity": int(wanted)})
    try:
        return_request(order=order, user=viewer, lines=lines, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your return is requested: the shop will answer by mail."))
    return redirect("orders:detail", order_id=order.pk)
