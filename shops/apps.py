from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops")

    def ready(self) -> None:
        from accounts.roles import register_role_provider
        from shops.selectors import shop_role_provider

        register_role_provider(shop_role_provider)
