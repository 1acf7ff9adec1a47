"""Workflows that change several rows at once; each runs in one transaction."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

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
from .planning import DEFAULT_DEVELOPMENT_WEEKS, DEFAULT_POC_WEEKS, default_plan


class GateError(Exception):
    """A decision that the engagement's state does not allow, with a reason for the user."""


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
    Phase.objects.bulk_create(phases)
    Gate.objects.bulk_create(gates)
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
    """Record a gate decision and apply it: Go opens the next phase (or completes the
    engagement at gate 3), No-Go stops it, Hold pauses it, Recycle extends the phase.

    The engagement and gate rows are locked, so two simultaneous decisions cannot both pass
    the checks; the partial unique index on final decisions backs this up in the database.
    """
    try:
        with transaction.atomic():
            engagement = Engagement.objects.select_for_update().get(pk=gate.engagement_id)
            gate = Gate.objects.select_for_update().get(pk=gate.pk)
            phases = {p.number: p for p in engagement.phases.select_for_update()}
            phase = phases[gate.number]
            _check_decidable(engagement, gate, phase, outcome, decided_on, new_end_date)
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


def _check_decidable(engagement, gate, phase, outcome, decided_on, new_end_date) -> None:
    if engagement.status in (EngagementStatus.STOPPED, EngagementStatus.COMPLETED):
        raise GateError(
            f"This engagement is {engagement.get_status_display().lower()}: "
            "no further gate decisions can be recorded."
        )
    earlier = list(gate.decisions.all())
    final = next((d for d in earlier if d.is_final), None)
    if final:
        raise GateError(
            f"Gate {gate.number} was already decided: {final.get_outcome_display()} on "
            f"{final.decided_on:%d %b %Y}. A recorded decision cannot be changed."
        )
    if phase.status != PhaseStatus.ACTIVE:
        raise GateError(
            f"Gate {gate.number} closes {phase.name}, which has not started yet: "
            f"decide gate {gate.number - 1} first."
        )
    if decided_on > timezone.localdate():
        raise GateError("A decision cannot be dated in the future: record it on the day.")
    if phase.actual_start and decided_on < phase.actual_start:
        raise GateError(
            f"The decision date is before {phase.name} started ({phase.actual_start:%d %b %Y})."
        )
    if earlier and decided_on < earlier[-1].decided_on:
        raise GateError(
            f"The decision date is before this gate's previous decision "
            f"({earlier[-1].decided_on:%d %b %Y}); decisions are recorded in order."
        )
    if outcome == Outcome.RECYCLE:
        if new_end_date is None:
            raise GateError("Recycle needs the phase's new end date.")
        if new_end_date <= max(decided_on, phase.planned_end):
            raise GateError(
                f"Recycle extends the phase: the new end date must be after its current "
                f"planned end ({phase.planned_end:%d %b %Y}) and after the decision date."
            )


PHASE_FIELDS = ["status", "planned_start", "planned_end", "actual_start", "actual_end"]


def apply_decision(engagement: Engagement, phases: dict[int, Phase], decision) -> None:
    """Change the engagement and its phases in memory as the decision says; callers save.

    Shared by `record_decision` and the demo seeder, so both follow one set of rules.
    """
    phase = phases[decision.gate.number]
    if decision.outcome == Outcome.GO:
        phase.status, phase.actual_end = PhaseStatus.DONE, decision.decided_on
        following = phases.get(phase.number + 1)
        if following:
            # The next phase starts on the day of the Go, and keeps its planned length; so
            # do the ones after it. A late Go thus does not make the new phase overdue.
            _shift_from(phases, following.number, decision.decided_on - following.planned_start)
            following.status, following.actual_start = PhaseStatus.ACTIVE, decision.decided_on
            engagement.status = EngagementStatus.ACTIVE
        else:
            engagement.status = EngagementStatus.COMPLETED
    elif decision.outcome == Outcome.NO_GO:
        phase.status, phase.actual_end = PhaseStatus.STOPPED, decision.decided_on
        engagement.status = EngagementStatus.STOPPED
    elif decision.outcome == Outcome.HOLD:
        engagement.status = EngagementStatus.ON_HOLD
    elif decision.outcome == Outcome.RECYCLE:
        # Repeat the phase until the new end date; the phases after it move by as much.
        _shift_from(phases, phase.number + 1, decision.new_end_date - phase.planned_end)
        phase.planned_end = decision.new_end_date
        engagement.status = EngagementStatus.ACTIVE


def _shift_from(phases: dict[int, Phase], first: int, shift: timedelta) -> None:
    """Move phase `first` and every later phase by `shift`, keeping their lengths."""
    for number, phase in phases.items():
        if number >= first:
            phase.planned_start += shift
            phase.planned_end += shift
