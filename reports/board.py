"""The board go/no-go summary of a gate: the first page a board member decides from."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from engagements.charts import phase_timeline
from engagements.health import engagement_health
from engagements.models import Engagement, Gate

from .registry import ReportType, register

KIND = "board_gate_summary"


def build_context(gate: Gate, membership) -> dict:
    engagement = (
        Engagement.objects.restrict(membership)
        .with_plan(membership)
        .prefetch_related("kpis")
        .select_related("organisation")
        .get(pk=gate.engagement_id)
    )
    gate = next(g for g in engagement.gate_list if g.pk == gate.pk)
    today = timezone.localdate()
    phases = engagement.phase_list
    return {
        "engagement": engagement,
        "gate": gate,
        "decision": gate.final_decision or gate.latest_decision,
        "decisions": gate.decision_list,
        "phases": phases,
        "kpis": list(engagement.kpis.all()),
        "health": engagement_health(engagement, today),
        "timeline": phase_timeline(phases, today),
        "today": today,
    }


def title(gate: Gate) -> str:
    return f"Board go/no-go summary — gate {gate.number} — {gate.engagement.title}"


def back_link(gate: Gate) -> tuple[str, str]:
    return reverse("engagements:detail", args=[gate.engagement_id]), gate.engagement.title


BOARD_GATE_SUMMARY = register(
    ReportType(
        kind=KIND,
        template="reports/board_gate_summary.html",
        build_context=build_context,
        title=title,
        back_link=back_link,
    )
)
