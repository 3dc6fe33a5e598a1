from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from catalog.pricing import register_sale_source
        from promotions import caching
        from promotions.sales import connect_signals, sale_rules

        register_sale_source(sale_rules)
        connect_signals()
        caching.connect_signals()
