from django.utils.translation import gettext_lazy as _

from core.errors import NotPermitted


class TaxPermissionDenied(NotPermitted):
    default_detail = _("You do not have permission to change the tax configuration.")
