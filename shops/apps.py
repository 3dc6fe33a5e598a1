from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = "Shops"

    def ready(self) -> None:
        from accounts.roles import register_role_provider
        from shops.selectors import shop_role_provider

        register_role_provider(shop_role_provider)
