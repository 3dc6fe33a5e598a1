from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class ShopPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_detail = _("Only the shop's owners (or platform staff) may do this.")


class LastOwner(ApplicationError):
    code = "last_owner"
    status_code = 409
    default_detail = _("A shop needs at least one owner: add another owner first.")
