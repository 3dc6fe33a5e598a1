from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self) -> None:
        from invoices import receivers  # noqa: F401  (a paid order and a refund issue documents)
