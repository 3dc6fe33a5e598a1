from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxesConfig(AppConfig):
    name = "taxes"
    verbose_name = _("Taxes")

    def ready(self) -> None:
        from taxes.caching import connect_signals

        connect_signals()
