from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and addresses"  # allauth's own app is "Accounts" (email addresses)

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects the signal handlers)
