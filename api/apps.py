from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "JSON API"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers api.E001: every route declares a permission)
