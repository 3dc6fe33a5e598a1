from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = "Shipping"

    def ready(self) -> None:
        from shipping import receivers  # noqa: F401  (a new shop gets its first zone)
