from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Each app declares its report types in its own `reports.py` (see registry.py);
        # `reports` itself imports no app.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("reports")
