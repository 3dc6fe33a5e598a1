from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from catalog.caching import connect_signals

        connect_signals()  # cached catalog reads are emptied when the data under them changes
