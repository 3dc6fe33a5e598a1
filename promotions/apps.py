from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"

    def ready(self) -> None:
        from catalog.pricing import register_sale_source
        from promotions.sales import connect_signals, sale_rules

        register_sale_source(sale_rules)
        connect_signals()
