"""Returns in the admin: a shop's members see their shop's and decide through actions
(approve, refuse, received: to stock or not), which call returns.services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import SERVICE_ERRORS, ReadOnlyAdminMixin, ServiceAdminMixin
from core.forms import error_text
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from returns.services import return_approve, return_receive, return_refuse
from shops.admin_scoping import SellerScopedAdminMixin


class ReturnLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReturnLine
    fields = ["order_line", "quantity"]
    readonly_fields = fields
    extra = 0


class ReturnEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReturnEvent
    fields = ["from_status", "to_status", "by", "note", "at"]
    readonly_fields = fields
    extra = 0


@admin.register(ReturnRequest)
class ReturnRequestAdmin(
    SellerScopedAdminMixin, ServiceAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    list_display = ["pk", "order", "shop", "status", "refund_amount", "created_at"]
    list_filter = ["status"]
    list_select_related = ["order", "shop"]
    search_fields = ["order__number", "shop__name", "reason"]
    readonly_fields = [
        "order",
        "shop",
        "user",
        "status",
        "reason",
        "instructions",
        "resellable",
        "refund_amount",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [ReturnLineInline, ReturnEventInline]
    actions = ["approve", "refuse", "receive_to_stock", "receive_not_resellable"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def _each(self, request, queryset, step, done: str) -> None:
        """`done`: "%(count)d return(s) ..." (a lazy translation)."""
        count = 0
        for item in queryset:
            try:
                step(item)
            except SERVICE_ERRORS as error:
                self.message_user(
                    request,
                    gettext("Return %(id)s: %(reason)s")
                    % {"id": item.pk, "reason": error_text(error)},
                    messages.ERROR,
                )
                continue
            count += 1
        if count:
            self.message_user(request, str(done) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Approve the selected returns (the shop's instructions are sent)"))
    def approve(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r: return_approve(request=r, by=request.user),
            _("%(count)d return(s) approved."),
        )

    @admin.action(description=_("Refuse the selected returns"))
    def refuse(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r: return_refuse(request=r, by=request.user),
            _("%(count)d return(s) refused."),
        )

    @admin.action(description=_("Mark received, back to stock, and refund"))
    def receive_to_stock(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r: return_receive(request=r, by=request.user, resellable=True),
            _("%(count)d return(s) received and refunded."),
        )

    @admin.action(description=_("Mark received, not resellable, and refund"))
    def receive_not_resellable(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda r: return_receive(request=r, by=request.user, resellable=False),
            _("%(count)d return(s) received and refunded."),
        )
