from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organisations and members"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the fail-closed system checks)
