from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from catalog.services import register_purchase_checker
        from orders import receivers  # noqa: F401  (connects the signal handlers)
        from orders.caching import connect_signals
        from orders.selectors import user_bought_product, user_has_ordered
        from promotions.selectors import register_order_history

        register_purchase_checker(user_bought_product)
        register_order_history(user_has_ordered)
        connect_signals()
