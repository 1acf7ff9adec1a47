"""Periodic work of the engagements app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .actions import start_due_engagements


@shared_task
def start_due() -> int:
    """Start the Planned engagements whose start date has come."""
    return start_due_engagements(timezone.localdate())
