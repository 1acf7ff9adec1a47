"""An engagement's activity page: the audit trail of the engagement, its phases, gates,
decisions and KPIs."""

from __future__ import annotations

from django.shortcuts import render

from accounts.access import get_scoped, member_required
from audit.views import feed_page

from ..models import (
    ChangeRequest,
    ChecklistItem,
    DecisionLogEntry,
    Engagement,
    Gate,
    GateDecision,
    Invoice,
    Kpi,
    Milestone,
    Phase,
    WeeklyReport,
)


@member_required("audit.view")
def engagement_activity(request, pk):
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    feed = feed_page(
        request,
        [
            Engagement.history.filter(id=engagement.pk),
            Phase.history.filter(engagement_id=engagement.pk),
            Gate.history.filter(engagement_id=engagement.pk),
            GateDecision.history.filter(gate__engagement_id=engagement.pk),
            Kpi.history.filter(engagement_id=engagement.pk),
            Invoice.history.filter(engagement_id=engagement.pk),
            ChangeRequest.history.filter(engagement_id=engagement.pk),
            WeeklyReport.history.filter(engagement_id=engagement.pk),
            Milestone.history.filter(engagement_id=engagement.pk),
            ChecklistItem.history.filter(engagement_id=engagement.pk),
            DecisionLogEntry.history.filter(engagement_id=engagement.pk),
        ],
    )
    context = {"feed": feed, "engagement": engagement, "title": f"Activity: {engagement.title}"}
    return render(request, "audit/activity.html", context)
