from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotPermitted


class PromotionPermissionDenied(NotPermitted):
    default_detail = _(
        "Only platform staff run the platform's promotions, and a shop's owners their shop's."
    )


class VoucherError(ApplicationError):
    """A code the shopper typed cannot be used; `code` says why, `voucher` names it."""

    status_code = 400

    def __init__(self, detail: str | None = None, *, voucher: str = "", **extra) -> None:
        super().__init__(detail, voucher=voucher, **extra)


class VoucherUnknown(VoucherError):
    code = "voucher_unknown"
    default_detail = _("There is no such discount code.")


class VoucherExpired(VoucherError):
    code = "voucher_expired"
    default_detail = _("This discount code has expired.")


class VoucherUsedUp(VoucherError):
    code = "voucher_used_up"
    default_detail = _("This discount code has been used as often as it may be.")


class VoucherAlreadyUsed(VoucherError):
    code = "voucher_already_used"
    default_detail = _("You have used this discount code already: it is one use per customer.")


class VoucherNotApplicable(VoucherError):
    """`reason`: minimum_not_reached, no_eligible_line, first_order_only,
    not_started, account_required (a guest, for a code usable once per customer)."""

    code = "voucher_not_applicable"
    default_detail = _("This discount code does not apply to your cart.")

    def __init__(self, detail: str | None = None, *, voucher: str = "", reason: str) -> None:
        super().__init__(detail, voucher=voucher, reason=reason)
