"""The engagements app's report types, found by `reports` with `autodiscover_modules`.

The board go/no-go summary of a gate: the first page a board member decides from.
"""

from __future__ import annotations

from dataclasses import replace

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify

from accounts.templatetags.people import person
from accounts.tenancy import RestrictedPrefetch
from reports.registry import ReportType, register

from .baselines import baseline_panel
from .charts import phase_timeline
from .conditions import is_overdue
from .enums import EngagementStatus, PhaseStatus
from .facts import facts_for
from .health import engagement_health, prefetched_milestones
from .models import (
    Engagement,
    Gate,
    GateCondition,
    GateDecision,
    Kpi,
    Phase,
    RiskSettings,
)
from .planning import plan_warnings

# A phase after a stopped one never runs, whatever status its row still has.
CANCELLED = "cancelled"


def gates():
    return Gate.objects.select_related("engagement")


def gate_unreached_reason(gate: Gate) -> str | None:
    """A board can be asked about a gate once the phase it closes has started."""
    if gate.number in gate.engagement.reached_gate_numbers:
        return None
    return f"Gate {gate.number} is not reached yet: {gate.after_phase_name} has not started."


def build_context(gate: Gate, membership) -> dict:
    engagement = (
        Engagement.objects.restrict(membership)
        .with_plan(membership)
        .prefetch_related(RestrictedPrefetch("kpis", membership, Kpi.objects.all()))
        .select_related("organisation")
        .get(pk=gate.engagement_id)
    )
    gate = next(g for g in engagement.gate_list if g.pk == gate.pk)
    today = timezone.localdate()
    phases = engagement.phase_list
    rows = phase_rows(phases)
    # Phases after a stop will never run: they are neither drawn nor judged against the norms.
    running = [row["phase"] for row in rows if row["status"] != CANCELLED]
    # The milestone norms too (R04, R25, R27): `with_plan` prefetched the milestones.
    warnings = plan_warnings(running, prefetched_milestones(engagement))
    with_money = membership.can("engagement.view_internal")
    facts = facts_for(engagement, today, with_money=with_money)
    settings = RiskSettings.for_organisation(engagement.organisation_id)
    health = engagement_health(engagement, facts, settings, today, with_money=with_money)
    if warnings and health.colour == "green":
        # A board must not read "Green" beside a plan that breaks the guide's norms.
        health = replace(health, colour="amber")
    decision = gate.final_decision or gate.latest_decision
    return {
        **gate_evidence(gate, gate.final_decision, membership, today, facts, settings),
        "baseline": (
            baseline_panel(engagement, facts, with_money=with_money)
            if membership.can("gate.view")
            else None
        ),
        "engagement": engagement,
        "gate": gate,
        "decision": decision,
        "decisions": gate.decision_list,
        "phases": phases,
        "phase_rows": rows,
        "end": plan_end(engagement, phases),
        "kpis": list(engagement.kpis.all()),
        "health": health,
        "warnings": warnings,
        "timeline": phase_timeline(running, today),
        "today": today,
    }


def gate_evidence(
    gate: Gate, final: GateDecision | None, membership, today, facts, settings
) -> dict:
    """The gate's criteria and readiness, and the gatekeepers' votes: as they stood when the
    gate was decided (the decision's snapshot), else as they stand now, from the facts the
    report already read. Both as snapshot dicts, so the template reads one shape. The
    conditions of the gate's decisions too."""
    from .criteria import criteria_by_gate, gate_readiness  # they read this module's models
    from .votes import tally_for

    kept = (final.readiness or {}) if final else {}
    criteria = kept.get("criteria")
    if not criteria:
        listed = criteria_by_gate([gate])[gate.pk]
        criteria = gate_readiness(gate, listed, facts, settings, today).snapshot()
    votes = kept.get("votes") if "votes" in kept else tally_for(gate).snapshot()
    conditions = list(
        GateCondition.objects.restrict(membership)
        .filter(decision__gate=gate)
        .select_related("owner", "done_by")
        .order_by("due_date", "id")
    )
    for condition in conditions:
        condition.overdue = is_overdue(condition, today)
    return {
        "readiness": criteria,
        "readiness_kept": bool(kept.get("criteria")),
        "votes": votes,
        "conditions": conditions,
    }


def phase_rows(phases: list[Phase]) -> list[dict]:
    """Each phase with the status the board should read: the phases after a stopped one are
    cancelled (their rows may still say "planned")."""
    rows, stopped = [], False
    for phase in phases:
        cancelled = stopped or phase.status == CANCELLED
        rows.append(
            {
                "phase": phase,
                "status": CANCELLED if cancelled else phase.status,
                "status_label": "Cancelled" if cancelled else phase.get_status_display(),
            }
        )
        stopped = stopped or phase.status == PhaseStatus.STOPPED
    return rows


def plan_end(engagement: Engagement, phases: list[Phase]) -> tuple[str, object]:
    """(label, date) for the facts table: when a stopped engagement stopped, when a completed
    one ended, else the planned end of its last phase."""
    if engagement.status == EngagementStatus.STOPPED:
        stopped = next((p for p in phases if p.status == PhaseStatus.STOPPED), None)
        if stopped and stopped.actual_end:
            return "Stopped on", stopped.actual_end
        return "Stopped", None
    last = phases[-1] if phases else None
    if engagement.status == EngagementStatus.COMPLETED and last and last.actual_end:
        return "Completed on", last.actual_end
    return "Planned end", last.planned_end if last else None


def outdated_reason(gate: Gate, job, membership) -> str | None:
    """Why a finished PDF of `gate` no longer tells the board the current state: a decision
    recorded at this gate after the PDF's data were read. Reads `gate.decision_list` (no
    query where the page prefetched it, as `with_plan` does); else one restricted query."""
    if "decisions" not in getattr(gate, "_prefetched_objects_cache", {}):
        decisions = GateDecision.objects.select_related("decided_by")
        prefetch_related_objects([gate], RestrictedPrefetch("decisions", membership, decisions))
        gate.__dict__.pop("decision_list", None)
    made = job.started_at or job.created_at
    later = [d for d in gate.decision_list if d.recorded_at > made]
    if not later:
        return None
    decision = later[-1]
    decided_on = date_format(decision.decided_on, "j M Y")
    return (
        f"gate {gate.number} was decided {decision.get_outcome_display()} by "
        f"{person(decision.decided_by)} on {decided_on} after this version was made"
    )


def title(gate: Gate) -> str:
    return f"Board go/no-go summary — gate {gate.number} — {gate.engagement.title}"


def filename(gate: Gate, version: int) -> str:
    slug = slugify(gate.engagement.title)[:80].strip("-") or "engagement"
    return f"{slug}-gate-{gate.number}-board-summary-v{version}.pdf"


def back_link(gate: Gate) -> tuple[str, str]:
    return reverse("engagements:detail", args=[gate.engagement_id]), gate.engagement.title


BOARD_GATE_SUMMARY = register(
    ReportType(
        kind="board_gate_summary",
        permission="report.request",
        queryset=gates,
        is_available=gate_unreached_reason,
        title=title,
        filename=filename,
        template="engagements/board_gate_summary.html",
        build_context=build_context,
        back_link=back_link,
        outdated_reason=outdated_reason,
        none_yet="No board PDF yet — an owner or admin can make one.",
    )
)
