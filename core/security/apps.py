from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "core.security"
    label = "shop_security"
    verbose_name = "Security"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from core.security import checks  # noqa: F401  (registers the deploy checks)
        from core.security.jwt import forget_saved_user, install_token_backend

        install_token_backend()
        # A saved or deleted user: the card authentication reads is forgotten.
        for signal in (post_save, post_delete):
            signal.connect(
                forget_saved_user,
                sender=settings.AUTH_USER_MODEL,
                dispatch_uid=f"shop_security_forget_user_card_{signal is post_save}",
            )
