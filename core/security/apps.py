from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "core.security"
    label = "shop_security"
    verbose_name = "Security"

    def ready(self) -> None:
        from core.security import checks  # noqa: F401  (registers the deploy checks)
        from core.security.jwt import install_token_backend

        install_token_backend()
