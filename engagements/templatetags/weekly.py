"""`{% load weekly %}{% weekly_panel engagement %}`: the engagement page's weekly-reports panel
(the latest report's status, hours-only reports, missing weeks and a trend chart per metric),
self-contained so the page's view knows nothing of it. Two queries whatever the number of
reports."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone

from engagements.weekly_charts import figure as _figure
from engagements.weekly_overview import overview

register = template.Library()


@register.filter
def figure(value: Decimal | None) -> str:
    """A reported figure as typed: 0.8700 → 0.87."""
    return "—" if value is None else _figure(value)


@register.inclusion_tag("engagements/weekly/_panel.html", takes_context=True)
def weekly_panel(context, engagement) -> dict:
    membership = getattr(context.get("request"), "membership", None)
    if membership is None or not membership.can("weekly_report.view"):
        return {"hidden": True}
    return {
        "engagement": engagement,
        "overview": overview(engagement, membership, timezone.localdate()),
        "can_submit": membership.can("weekly_report.submit"),
    }
