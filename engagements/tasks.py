"""Periodic work of the engagements app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .actions import start_due_engagements


@shared_task
def start_due() -> int:
    """Start the Planned engagements whose start date has come."""
    return start_due_engagements(timezone.localdate())


@shared_task
def send_reminders() -> int:
    """Send the reminders due today (missing weekly reports, gates and conditions due, stale
    evidence); each person gets each reminder once a period, however often beat runs."""
    from .reminders import send_reminders as send

    return send(timezone.localdate())


@shared_task
def refresh_health() -> int:
    """Recompute every engagement's stored health: time alone makes gates, milestones and
    conditions overdue, with no write to trigger a refresh."""
    from .health import refresh_all_health

    return refresh_all_health(timezone.localdate())
