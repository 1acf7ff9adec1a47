"""Celery finds tasks in installed apps' `tasks` modules: this makes the worker know the
mail task that `handover.mail` defines."""

from handover.mail import send_email

__all__ = ["send_email"]
