from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = "Engagements"

    def ready(self):
        from .health import connect_receivers

        # Stored health follows every write to an engagement's data (see health.py).
        connect_receivers()
