from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartConfig(AppConfig):
    name = "cart"
    verbose_name = _("Cart")

    def ready(self) -> None:
        from cart import caching, receivers  # noqa: F401  (connects the signal handlers)

        caching.connect_signals()
