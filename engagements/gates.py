"""The go/no-go rules (R07), as plain functions: whether a decision may be recorded now, what it
does to the phases and the engagement, and the order the phases run in.

The decision form, the phase formset, `actions.record_decision`, the demo seeder and the
database constraints all defer to this module, so a rule is stated once. It reads model
instances but imports no model, so `models.py` can build its constraints from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from django.db.models import Q

from accounts.templatetags.people import person

from .enums import FINAL_OUTCOMES, EngagementStatus, Outcome, PhaseStatus
from .planning import LATEST

if TYPE_CHECKING:
    from .models import Engagement, GateDecision, Phase

# What the database guarantees, stated here beside the rules that need it.
FINAL_DECISION = Q(outcome__in=list(FINAL_OUTCOMES))
RECYCLE_HAS_NEW_END_DATE = Q(outcome=Outcome.RECYCLE, new_end_date__isnull=False) | (
    ~Q(outcome=Outcome.RECYCLE) & Q(new_end_date__isnull=True)
)
CLOSED = (EngagementStatus.STOPPED, EngagementStatus.COMPLETED)
# The phase fields a decision changes; workflows save only these.
PHASE_FIELDS = ["status", "planned_start", "planned_end", "actual_start", "actual_end"]


class GateError(Exception):
    """A decision that the engagement's state does not allow, with a reason for the user."""


def decision_field_errors(
    outcome: str | None, decided_on: date | None, new_end_date: date | None
) -> dict[str, str]:
    """The rules a decision form can check on its own: only Recycle takes a new end date, and
    Recycle needs one after the decision date. Field name → message."""
    if outcome == Outcome.RECYCLE:
        if not new_end_date:
            return {"new_end_date": "Recycle repeats the phase: give its new end date."}
        if decided_on and new_end_date <= decided_on:
            return {"new_end_date": "The new end date must be after the decision date."}
    elif new_end_date:
        return {"new_end_date": "Only a Recycle decision takes a new end date."}
    return {}


def check_decision(
    *,
    engagement: Engagement,
    gate_number: int,
    phases: Sequence[Phase],
    earlier: Sequence[GateDecision],
    outcome: str,
    decided_on: date,
    new_end_date: date | None,
    today: date,
) -> None:
    """Raise `GateError` unless this decision may be recorded now. `earlier` are the gate's
    recorded decisions in order; `phases` are the engagement's three."""
    phase = next(p for p in phases if p.number == gate_number)
    reason = gate_closed_reason(engagement, gate_number, phases, earlier)
    if reason:
        raise GateError(reason)
    if decided_on > today:
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
    for message in decision_field_errors(outcome, decided_on, new_end_date).values():
        raise GateError(message)
    if outcome == Outcome.RECYCLE and new_end_date <= phase.planned_end:
        raise GateError(
            f"Recycle extends the phase: the new end date must be after its current "
            f"planned end ({phase.planned_end:%d %b %Y}) and after the decision date."
        )
    if outcome == Outcome.RECYCLE and plan_end_after_recycle(phases, phase, new_end_date) > LATEST:
        raise GateError(
            "That new end date pushes the later phases past 2100; choose an earlier one."
        )


def gate_closed_reason(
    engagement: Engagement,
    gate_number: int,
    phases: Sequence[Phase],
    earlier: Sequence[GateDecision],
) -> str | None:
    """Why no decision can be recorded at this gate now, or None when it is open."""
    phase = next(p for p in phases if p.number == gate_number)
    if engagement.status in CLOSED:
        return (
            f"This engagement is {engagement.get_status_display().lower()}: "
            "no further gate decisions can be recorded."
        )
    final = next((d for d in earlier if d.outcome in FINAL_OUTCOMES), None)
    if final:
        # Most often a stale tab: say what happened, and by whom.
        return (
            f"Gate {gate_number} was already decided: {final.get_outcome_display()} on "
            f"{final.decided_on:%-d %b %Y} by {person(final.decided_by)}. A recorded decision "
            "cannot be changed; reload the page to see it."
        )
    if phase.status == PhaseStatus.PLANNED and gate_number == 1:
        return (
            f"{phase.name} starts on {phase.planned_start:%-d %b %Y}: gate 1 can be decided "
            "once it has started."
        )
    if phase.status != PhaseStatus.ACTIVE:
        return (
            f"Gate {gate_number} closes {phase.name}, which has not started yet: "
            f"decide gate {gate_number - 1} first."
        )
    return None


def plan_end_after_recycle(phases, phase: Phase, new_end_date: date) -> date:
    """Where the plan would end if `phase` were recycled to `new_end_date`."""
    last = max(phases, key=lambda p: p.number)
    return last.planned_end + (new_end_date - phase.planned_end)


def apply_decision(engagement: Engagement, phases: dict[int, Phase], decision) -> None:
    """Change the engagement and its phases in memory as the decision says; callers save
    `PHASE_FIELDS` and the engagement's status. Go opens the next phase (or completes the
    engagement at gate 3), No-Go stops it, Hold pauses it, Recycle extends the phase."""
    phase = phases[decision.gate.number]
    if decision.outcome == Outcome.GO:
        phase.status, phase.actual_end = PhaseStatus.DONE, decision.decided_on
        following = phases.get(phase.number + 1)
        if following:
            # The next phase starts on the day of the Go, and keeps its planned length; so
            # do the ones after it. A late Go thus does not make the new phase overdue.
            shift_from(phases, following.number, decision.decided_on - following.planned_start)
            following.status, following.actual_start = PhaseStatus.ACTIVE, decision.decided_on
            engagement.status = EngagementStatus.ACTIVE
        else:
            engagement.status = EngagementStatus.COMPLETED
    elif decision.outcome == Outcome.NO_GO:
        phase.status, phase.actual_end = PhaseStatus.STOPPED, decision.decided_on
        for later in phases.values():
            if later.number > phase.number:
                later.status = PhaseStatus.CANCELLED  # they will never run
        engagement.status = EngagementStatus.STOPPED
    elif decision.outcome == Outcome.HOLD:
        engagement.status = EngagementStatus.ON_HOLD
    elif decision.outcome == Outcome.RECYCLE:
        # Repeat the phase until the new end date; the phases after it move by as much.
        shift_from(phases, phase.number + 1, decision.new_end_date - phase.planned_end)
        phase.planned_end = decision.new_end_date
        engagement.status = EngagementStatus.ACTIVE


def shift_from(phases: dict[int, Phase], first: int, shift: timedelta) -> None:
    """Move phase `first` and every later phase by `shift`, keeping their lengths."""
    for number, phase in phases.items():
        if number >= first:
            phase.planned_start += shift
            phase.planned_end += shift


def phase_order_error(plan: Iterable[tuple[int, date, date]]) -> str | None:
    """Why a plan of (number, planned start, planned end) is out of order, or None: each of
    the three phases once, each starting no earlier than the one before it ends."""
    ordered = sorted(plan, key=lambda phase: phase[0])
    numbers = [number for number, _, _ in ordered]
    if len(set(numbers)) != len(numbers):
        return "These phases do not match the engagement; reload the page."
    for (number, _, end), (later, start, _) in pairwise(ordered):
        if start < end:
            return (
                f"Phase {later} starts before phase {number} ends: the phases run one after "
                "another."
            )
    return None
