from django.apps import AppConfig


class ReportAppConfig(AppConfig):
    """Installed for the test run only (handover/settings.py, `TESTING`)."""

    name = "tests.reportapp"
    label = "reportapp"
