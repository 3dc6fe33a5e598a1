from core.errors import NotPermitted


class TaxPermissionDenied(NotPermitted):
    default_detail = "You do not have permission to change the tax configuration."
