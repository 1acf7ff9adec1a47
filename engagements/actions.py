"""Workflows that change several rows at once; each runs in one transaction."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .gates import PHASE_FIELDS, GateError, apply_decision, check_decision
from .models import (
    PHASES,
    Engagement,
    EngagementStatus,
    Gate,
    GateDecision,
    Outcome,
    Phase,
    PhaseStatus,
)
from .models.checklists import ChecklistItem, guide_items
from .models.milestones import move_milestones
from .planning import DEFAULT_DEVELOPMENT_WEEKS, DEFAULT_POC_WEEKS, default_plan


def build_plan(
    engagement: Engagement,
    poc_weeks: int = DEFAULT_POC_WEEKS,
    development_weeks: int = DEFAULT_DEVELOPMENT_WEEKS,
    today: date | None = None,
):
    """Unsaved phases and gates for a new engagement. The PoC is active from the start date;
    an engagement that starts later is Planned until then (see `start_due_engagements`)."""
    started = engagement.start_date <= (today or timezone.localdate())
    engagement.status = EngagementStatus.ACTIVE if started else EngagementStatus.PLANNED
    phases = [
        Phase(
            engagement=engagement,
            number=planned.number,
            billing_model=PHASES[planned.number][1],
            planned_start=planned.planned_start,
            planned_end=planned.planned_end,
            status=PhaseStatus.ACTIVE if started and planned.number == 1 else PhaseStatus.PLANNED,
            actual_start=engagement.start_date if started and planned.number == 1 else None,
        )
        for planned in default_plan(engagement.start_date, poc_weeks, development_weeks)
    ]
    gates = [Gate(engagement=engagement, number=n) for n in PHASES]
    return phases, gates


@transaction.atomic
def create_engagement(
    engagement: Engagement,
    kpis,
    *,
    poc_weeks: int = DEFAULT_POC_WEEKS,
    development_weeks: int = DEFAULT_DEVELOPMENT_WEEKS,
) -> Engagement:
    """Save a new engagement with its KPIs, its three phases and its three gates."""
    phases, gates = build_plan(engagement, poc_weeks, development_weeks)
    engagement.save()
    for kpi in kpis:
        kpi.engagement = engagement
        kpi.save()
    # With their "created" entries in the audit trail, which plain bulk_create skips.
    bulk_create_with_history(phases, Phase)
    bulk_create_with_history(gates, Gate)
    # The guide's handover checklists, which gate 3 reads (R12, R20, R21, R28).
    bulk_create_with_history(guide_items(engagement), ChecklistItem)
    return engagement


def record_decision(
    gate: Gate,
    *,
    outcome: str,
    rationale: str,
    decided_by,
    decided_on: date,
    attendees: str = "",
    new_end_date: date | None = None,
) -> GateDecision:
    """Record a gate decision and apply it, by the rules in `gates.py`.

    The engagement and gate rows are locked, so two simultaneous decisions cannot both pass
    the checks; the partial unique index on final decisions backs this up in the database.
    """
    try:
        with transaction.atomic():
            engagement = Engagement.objects.select_for_update().get(pk=gate.engagement_id)
            gate = Gate.objects.select_for_update().get(pk=gate.pk)
            phases = {p.number: p for p in engagement.phases.select_for_update()}
            check_decision(
                engagement=engagement,
                gate_number=gate.number,
                phases=list(phases.values()),
                earlier=list(gate.decisions.all()),
                outcome=outcome,
                decided_on=decided_on,
                new_end_date=new_end_date,
                today=timezone.localdate(),
            )
            decision = GateDecision.objects.create(
                gate=gate,
                outcome=outcome,
                rationale=rationale,
                decided_by=decided_by,
                decided_on=decided_on,
                attendees=attendees,
                new_end_date=new_end_date if outcome == Outcome.RECYCLE else None,
            )
            starts_before = {phase.pk: phase.planned_start for phase in phases.values()}
            apply_decision(engagement, phases, decision)
            for changed in phases.values():
                changed.save(update_fields=PHASE_FIELDS)
            # A late Go or a Recycle moves later phases: their milestones go with them.
            move_milestones(engagement, starts_before, phases.values(), by=decided_by)
            engagement.save(update_fields=["status", "updated_at"])
            return decision
    except IntegrityError as exc:
        # The row locks make this race unreachable; the index is the last line of defence.
        if "one_final_decision_per_gate" not in str(exc):
            raise
        raise GateError(f"Gate {gate.number} was decided by someone else a moment ago.") from exc


def start_due_engagements(today: date, organisation_id: int | None = None) -> int:
    """Start the Planned engagements whose start date has come: the PoC becomes active from
    that date. Safe to run any number of times, from beat and when a page shows the
    organisation's engagements (so nothing waits for the next beat); one indexed read when
    nothing is due. Each start is saved, so the audit trail records it — as the system's doing,
    not whoever happened to open the page."""
    due = Engagement.objects.filter(status=EngagementStatus.PLANNED, start_date__lte=today)
    if organisation_id is not None:
        due = due.filter(organisation_id=organisation_id)
    if not due.exists():
        return 0
    started = 0
    with transaction.atomic():
        for engagement in due.select_for_update():  # re-read under the lock: still Planned
            poc = engagement.phases.select_for_update().get(number=1)
            poc.status, poc.actual_start = PhaseStatus.ACTIVE, engagement.start_date
            engagement.status = EngagementStatus.ACTIVE
            for row in (poc, engagement):
                row._history_user = None  # the audit trail's "System"
            poc.save(update_fields=["status", "actual_start"])
            engagement.save(update_fields=["status", "updated_at"])
            started += 1
    return started


def reschedule(engagement: Engagement, phases: list[Phase], new_start: date) -> None:
    """Move a Planned engagement's start date and its whole plan with it, lengths kept."""
    shift = new_start - engagement.start_date
    engagement.start_date = new_start
    for phase in phases:
        phase.planned_start += shift
        phase.planned_end += shift
