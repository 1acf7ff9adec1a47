"""A report type declared outside `reports/`, over an existing model: an engagement brief."""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import slugify

from engagements.models import Engagement, EngagementStatus
from reports.registry import ReportType, register


def is_available(engagement: Engagement) -> str | None:
    if engagement.status == EngagementStatus.PLANNED:
        return "A planned engagement has no brief yet."
    return None


def build_context(engagement: Engagement, membership) -> dict:
    return {"engagement": Engagement.objects.restrict(membership).get(pk=engagement.pk)}


ENGAGEMENT_BRIEF = register(
    ReportType(
        kind="engagement_brief",
        permission="engagement.edit",
        queryset=lambda: Engagement.objects,
        is_available=is_available,
        title=lambda engagement: f"Brief — {engagement.title}",
        filename=lambda engagement, version: f"{slugify(engagement.title)}-brief-v{version}.pdf",
        template="reportapp/brief.html",
        build_context=build_context,
        back_link=lambda e: (reverse("engagements:detail", args=[e.pk]), e.title),
    )
)
