"""The notification centre's page: a person's notifications, read one (and go where
it leads) or all."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from notifications import selectors, services

PER_PAGE = 30


@require_safe
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    found = selectors.notifications_of(user=request.user, unread=True if unread_only else None)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page_obj": page, "notifications": page.object_list, "unread_only": unread_only},
    )


@require_POST
@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Read it, and go where it leads (a path of this site only)."""
    notification = selectors.notifications_of(user=request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    services.notification_mark_read(notification=notification)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:list")


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(user=request.user)
    if marked:
        messages.success(request, _("Every notification is marked read."))
    return redirect("notifications:list")
