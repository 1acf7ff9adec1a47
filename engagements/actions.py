"""Workflows that change several rows at once; each runs in one transaction."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .gates import PHASE_FIELDS, GateError, apply_decision, check_decision
from .models import PHASES, Engagement, Gate, GateDecision, Outcome, Phase, PhaseStatus
from .planning import DEFAULT_DEVELOPMENT_WEEKS, DEFAULT_POC_WEEKS, default_plan


def build_plan(
    engagement: Engagement,
    poc_weeks: int = DEFAULT_POC_WEEKS,
    development_weeks: int = DEFAULT_DEVELOPMENT_WEEKS,
):
    """Unsaved phases and gates for a new engagement, PoC active from the start date."""
    phases = [
        Phase(
            engagement=engagement,
            number=planned.number,
            billing_model=PHASES[planned.number][1],
            planned_start=planned.planned_start,
            planned_end=planned.planned_end,
            status=PhaseStatus.ACTIVE if planned.number == 1 else PhaseStatus.PLANNED,
            actual_start=engagement.start_date if planned.number == 1 else None,
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
    engagement.save()
    for kpi in kpis:
        kpi.engagement = engagement
        kpi.save()
    phases, gates = build_plan(engagement, poc_weeks, development_weeks)
    # With their "created" entries in the audit trail, which plain bulk_create skips.
    bulk_create_with_history(phases, Phase)
    bulk_create_with_history(gates, Gate)
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
                phase=phases[gate.number],
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
            apply_decision(engagement, phases, decision)
            for changed in phases.values():
                changed.save(update_fields=PHASE_FIELDS)
            engagement.save(update_fields=["status", "updated_at"])
            return decision
    except IntegrityError as exc:
        # The row locks make this race unreachable; the index is the last line of defence.
        if "one_final_decision_per_gate" not in str(exc):
            raise
        raise GateError(f"Gate {gate.number} was decided by someone else a moment ago.") from exc
