from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from payments import (  # noqa: F401  (registers the checks, connects the handlers)
            checks,
            receivers,
        )
