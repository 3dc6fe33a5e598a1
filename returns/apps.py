from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns")

    def ready(self) -> None:
        from invoices.services import register_refund_describer
        from returns import receivers  # noqa: F401  (a refund confirmed later)
        from returns.selectors import return_refund_description

        # A return's credit note names the units sent back.
        register_refund_describer(return_refund_description)
