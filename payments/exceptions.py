from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class OrderNotPayable(ApplicationError):
    code = "order_not_payable"
    status_code = 409
    default_detail = _("This order cannot be paid: only a pending order can.")


class PaymentNotConfirmable(ApplicationError):
    code = "payment_not_confirmable"
    status_code = 409
    default_detail = _("This payment cannot be confirmed any more: create a new one.")


class PaymentNotApproved(ApplicationError):
    """PayPal: the payer has not approved the payment in PayPal's window yet; it stays
    open (open `approve_url`, then confirm again)."""

    code = "payment_not_approved"
    status_code = 409
    default_detail = _("Approve the payment in PayPal's window first, then confirm it.")


class PaymentFailed(ApplicationError):
    code = "payment_failed"
    status_code = 402
    default_detail = _("The payment was declined.")


class PaymentNotRefundable(ApplicationError):
    code = "payment_not_refundable"
    status_code = 409
    default_detail = _("Only a succeeded payment can be refunded.")


class PaymentProviderUnavailable(ApplicationError):
    code = "payment_provider_error"
    status_code = 502
    default_detail = _("The payment provider could not be reached. Please try again.")


class WebhookSignatureInvalid(ApplicationError):
    code = "invalid_signature"
    status_code = 400
    default_detail = _("The webhook signature is missing or invalid.")


class WebhookNotConfigured(ApplicationError):
    code = "not_configured"
    status_code = 503
    default_detail = _("Webhooks are not configured (no endpoint secret).")


class PaymentsNotConfigured(PaymentProviderUnavailable):
    code = "payments_not_configured"
    status_code = 503
    default_detail = _(
        "Payments are not available: no payment provider is configured. Please try again later."
    )
