from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotPermitted


class ReturnPermissionDenied(NotPermitted):
    default_detail = _("Only the shop's members (or platform staff) decide on its returns.")


class ReturnNotAllowed(ApplicationError):
    """The order or its lines cannot be returned (not delivered, past the window...)."""

    code = "return_not_allowed"
    status_code = 409


class InvalidReturnTransition(ApplicationError):
    code = "invalid_status_transition"
    status_code = 409
