from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organisations and members"

    def ready(self) -> None:
        # Registers the fail-closed system checks, and opens the right organisation at log-in.
        from . import checks, middleware  # noqa: F401
