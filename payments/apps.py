from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments import (  # noqa: F401  (registers the checks, connects the handlers)
            checks,
            receivers,
        )
