"""Admin of payments for platform staff: the history of the money, read-only.

Payments, refunds and webhook events are written only by payments.services (from a
provider's answer, a webhook or a refund): nothing here adds, edits or deletes them, so
the books keep agreeing with the provider. Staff give money back through
`payment_refund`: the "Refund selected payments in full" action, or a payment's refund
page (an amount and a reason). A refusal of the service is an error message, never a
server error.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy, ngettext

from core.admin import (
    SERVICE_ERRORS,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    StaffOnlyAdminMixin,
    error_text,
    plural,
    register_admin_action,
    register_admin_inline,
)
from core.errors import DomainValidationError
from core.forms import form_add_service_error
from payments.forms import RefundForm
from payments.models import (
    Payment,
    PaymentStatus,
    ProviderCustomer,
    Refund,
    RefundReason,
    SavedPaymentMethod,
    WebhookEvent,
)
from payments.policies import may_refund
from payments.services import order_refund_in_full, payment_refund


class ReadOnlyAdmin(StaffOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shown to platform staff only (never to shop members), and never written by hand."""


def _user_email(user) -> str:
    return user.email if user is not None else "—"


def _short_id(value) -> str:
    """The start of a UUID (the whole one on hover): enough to tell rows apart."""
    return format_html('<span title="{}">{}…</span>', value, str(value)[:8])


# --- Payments ---------------------------------------------------------------------------


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    fields = [
        "amount",
        "currency",
        "status",
        "reason",
        "provider_refund_id",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(Payment)
class PaymentAdmin(ServiceAdminMixin, ReadOnlyAdmin):
    list_display = [
        "short_id",
        "order_number",
        "user_email",
        "provider",
        "status",
        "amount",
        "refunded_amount",
        "currency",
        "created_at",
    ]
    list_display_links = ["short_id"]
    list_select_related = ["order", "user"]
    list_filter = ["status", "provider"]
    search_fields = ["id", "provider_payment_id", "order__number", "user__email"]
    # The client secret completes a payment in a browser: it is not shown here.
    fields = [
        "id",
        "order_link",
        "user_email",
        "provider",
        "provider_payment_id",
        "status",
        "amount",
        "currency",
        "refunded_amount",
        "payment_method",
        "failure_code",
        "decline_code",
        "failure_message",
        "idempotency_key",
        "succeeded_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [RefundInline]
    actions = ["refund_in_full"]
    change_form_template = "payments/admin_payment_change_form.html"

    @admin.display(description="payment", ordering="id")
    def short_id(self, payment: Payment) -> str:
        return _short_id(payment.pk)

    @admin.display(description="order", ordering="order__number")
    def order_number(self, payment: Payment) -> str:
        return payment.order.number

    @admin.display(description="order")
    def order_link(self, payment: Payment) -> str:
        try:
            url = reverse("admin:orders_order_change", args=[quote(payment.order_id)])
        except NoReverseMatch:  # no admin of orders: its storefront page
            url = reverse("orders:detail", args=[payment.order_id])
        return format_html(
            '<a href="{}">{}</a> ({})',
            url,
            payment.order.number,
            payment.order.get_status_display(),
        )

    @admin.display(description="user", ordering="user__email")
    def user_email(self, payment: Payment) -> str:
        return _user_email(payment.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).select_related("order", "user")

    def has_refund_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_refund(request.user)

    # Refunding in full, several at a time

    @admin.action(description="Refund selected payments in full", permissions=["refund"])
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        # Each payment on its own: money already given back at the provider for one
        # payment stays recorded when another is refused.
        refunded = 0
        refused: list[str] = []
        for payment in queryset.select_related("order"):
            try:
                payment_refund(
                    payment=payment,
                    reason=RefundReason.REQUESTED_BY_CUSTOMER,
                    by=request.user,
                )
            except SERVICE_ERRORS as error:
                refused.append(f"order {payment.order.number}: {error_text(error)}")
            else:
                refunded += 1
        if refunded:
            self.message_user(
                request, f"Refunded {plural(refunded, 'payment')} in full.", messages.SUCCESS
            )
        if refused:
            self.message_user(
                request,
                f"Not refunded ({len(refused)}): {'; '.join(refused)}",
                messages.ERROR,
            )

    # A refund of some or all of one payment

    def get_urls(self):
        return [
            path(
                "<path:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_refund",
            ),
            *super().get_urls(),
        ]

    def _change_url(self, payment: Payment) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(payment.pk)],
            current_app=self.admin_site.name,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if (
            payment is not None
            and payment.status == PaymentStatus.SUCCEEDED
            and payment.refundable_amount > 0
            and self.has_refund_permission(request)
        ):
            extra_context["refund_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_refund",
                args=[quote(payment.pk)],
                current_app=self.admin_site.name,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        payment = self.get_object(request, unquote(object_id))
        if payment is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_refund_permission(request, payment):
            raise PermissionDenied
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refund = payment_refund(
                    payment=payment,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except SERVICE_ERRORS as error:
                self.message_user(request, f"Not refunded: {error_text(error)}", messages.ERROR)
                form_add_service_error(form, error)
            else:
                self.message_user(
                    request,
                    f"Refunded {refund.amount} {refund.currency} of order "
                    f"{payment.order.number} ({refund.get_status_display().lower()}).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(payment))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund payment of order {payment.order.number}",
            "opts": self.opts,
            "payment": payment,
            "form": form,
            "change_url": self._change_url(payment),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "payments/admin_refund.html", context)


# --- Refunds ----------------------------------------------------------------------------


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "short_id",
        "order_number",
        "amount",
        "currency",
        "status",
        "reason",
        "created_by_email",
        "created_at",
    ]
    list_display_links = ["short_id"]
    list_select_related = ["payment__order", "created_by"]
    list_filter = ["status", "reason"]
    search_fields = ["id", "provider_refund_id", "payment__order__number", "payment__user__email"]
    fields = [
        "id",
        "payment",
        "order_number",
        "amount",
        "currency",
        "status",
        "reason",
        "provider_refund_id",
        "created_by_email",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("payment__order", "created_by")

    @admin.display(description="refund", ordering="id")
    def short_id(self, refund: Refund) -> str:
        return _short_id(refund.pk)

    @admin.display(description="order", ordering="payment__order__number")
    def order_number(self, refund: Refund) -> str:
        return refund.payment.order.number

    @admin.display(description="by", ordering="created_by__email")
    def created_by_email(self, refund: Refund) -> str:
        return _user_email(refund.created_by)


# --- Webhook events ---------------------------------------------------------------------


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "provider",
        "type",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_filter = ["status", "type"]
    search_fields = ["event_id"]
    fields = [
        "provider",
        "type",
        "event_id",
        "status",
        "attempts",
        "error",
        "received_at",
        "processed_at",
        "payload_json",
    ]
    readonly_fields = fields

    @admin.display(description="payload")
    def payload_json(self, event: WebhookEvent) -> str:
        text = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
        # A read-only text box wraps and scrolls long JSON without any inline style (the
        # Content Security Policy allows the site's own style sheets only).
        return format_html(
            '<textarea readonly rows="20" cols="100" aria-label="Payload">{}</textarea>', text
        )


# --- Saved cards and provider customers ------------------------------------------------


@admin.register(SavedPaymentMethod)
class SavedPaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["user_email", "provider", "brand", "last4", "expires", "created_at"]
    list_select_related = ["user"]
    list_filter = ["provider", "brand"]
    search_fields = ["user__email", "provider_method_id", "last4"]

    @admin.display(description="user", ordering="user__email")
    def user_email(self, method: SavedPaymentMethod) -> str:
        return _user_email(method.user)

    @admin.display(description="expires")
    def expires(self, method: SavedPaymentMethod) -> str:
        if not (method.exp_month and method.exp_year):
            return "—"
        return f"{method.exp_month:02d}/{method.exp_year}"


@admin.register(ProviderCustomer)
class ProviderCustomerAdmin(ReadOnlyAdmin):
    list_display = ["user_email", "provider", "customer_id", "created_at"]
    list_select_related = ["user"]
    list_filter = ["provider"]
    search_fields = ["user__email", "customer_id"]

    @admin.display(description="user", ordering="user__email")
    def user_email(self, customer: ProviderCustomer) -> str:
        return _user_email(customer.user)


# --- Payments on the order's admin page ---------------------------------------------------
# The orders admin knows nothing of payments (it sits below): payments adds its inline and
# its "Refund in full" action there through core.admin's registries.


class OrderPaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Payment
    fields = ["provider", "status", "amount", "refunded_amount", "decline_code", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "payments"


@admin.action(description=gettext_lazy("Refund in full"))
def refund_in_full(modeladmin, request: HttpRequest, queryset) -> None:
    """Give back what remains of every succeeded payment of each chosen order
    (payments.services.order_refund_in_full, the same as cancelling uses)."""

    def apply(order) -> str | None:
        refunds, refusals = order_refund_in_full(order_id=order.pk, by=request.user)
        if refusals and not refunds:
            raise refusals[0]
        if not refunds:
            raise DomainValidationError(gettext("Nothing was paid that has not been refunded."))
        if refusals:
            return gettext("Refunded in part. %(reasons)s") % {
                "reasons": " ".join(error_text(error) for error in refusals)
            }
        return None

    def done(count: int, numbers: str) -> str:
        return ngettext(
            "Refunded %(count)d order: %(numbers)s.",
            "Refunded %(count)d orders: %(numbers)s.",
            count,
        ) % {"count": count, "numbers": numbers}

    modeladmin.apply_to_each(request, queryset, apply, done=done)


register_admin_inline("orders.order", OrderPaymentInline)
register_admin_action("orders.order", refund_in_full, allowed=may_refund)
