from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "config.security"
    label = "shop_security"
    verbose_name = "Security"

    def ready(self) -> None:
        from config.security import checks  # noqa: F401  (registers the deploy checks)
        from config.security.jwt import install_token_backend

        install_token_backend()
