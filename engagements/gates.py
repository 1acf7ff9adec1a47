"""The go/no-go rules (R07), as plain functions: whether a decision may be recorded now, what it
does to the phases and the engagement, and the order the phases run in.

The decision form, the phase formset, `actions.record_decision`, the demo seeder and the
database constraints all defer to this module, so a rule is stated once. It reads model
instances but imports no model, so `models.py` can build its constraints from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from django.db.models import Q

from accounts.templatetags.people import person

from .enums import FINAL_OUTCOMES, GO_OUTCOMES, EngagementStatus, Outcome, PhaseStatus
from .planning import LATEST

if TYPE_CHECKING:
    from .models import Engagement, GateCondition, GateDecision, Phase

# What the database guarantees, stated here beside the rules that need it.
FINAL_DECISION = Q(outcome__in=list(FINAL_OUTCOMES))
RECYCLE_HAS_NEW_END_DATE = Q(outcome=Outcome.RECYCLE, new_end_date__isnull=False) | (
    ~Q(outcome=Outcome.RECYCLE) & Q(new_end_date__isnull=True)
)
CLOSED = (EngagementStatus.STOPPED, EngagementStatus.COMPLETED)
# The phase fields a decision changes; workflows save only these.
PHASE_FIELDS = ["status", "planned_start", "planned_end", "actual_start", "actual_end"]


class GateError(Exception):
    """A decision that the engagement's state does not allow, with a reason for the user;
    `field` names the form field the reason belongs to (None: the whole decision)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConditionInput:
    """A condition of a Conditional Go as the owner typed it: a task for `owner` (a user)."""

    title: str
    owner: object
    due_date: date | None


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
    open_conditions: Sequence[GateCondition] = (),
    expected_round: int | None = None,
) -> None:
    """Raise `GateError` unless this decision may be recorded now. `earlier` are the gate's
    recorded decisions in order; `phases` are the engagement's three; `open_conditions` the
    engagement's open Conditional-Go conditions; `expected_round` the number of decisions the
    posting page showed (None: not from a page), so a stale tab is refused with
    `field="round"`."""
    phase = next(p for p in phases if p.number == gate_number)
    reason = gate_closed_reason(engagement, gate_number, phases, earlier, open_conditions)
    if reason:
        raise GateError(reason)
    reason = round_changed_reason(gate_number, earlier, expected_round)
    if reason:
        raise GateError(reason, field="round")
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


def round_changed_reason(
    gate_number: int, earlier: Sequence[GateDecision], expected_round: int | None
) -> str | None:
    """Why a decision posted from a page that showed `expected_round` earlier decisions is
    stale (someone recorded a Hold or Recycle since), or None. Final decisions are
    `gate_closed_reason`'s."""
    if expected_round is None or expected_round == len(earlier):
        return None
    if expected_round > len(earlier) or not earlier:
        return "This form does not match the gate's decisions: reload the page and decide again."
    latest = earlier[-1]
    return (
        f"While this page was open, gate {gate_number} was decided: "
        f"{latest.get_outcome_display()} on {latest.decided_on:%-d %b %Y} by "
        f"{person(latest.decided_by)}. Review the gate as it stands now and decide again."
    )


def gate_closed_reason(
    engagement: Engagement,
    gate_number: int,
    phases: Sequence[Phase],
    earlier: Sequence[GateDecision],
    open_conditions: Sequence[GateCondition] = (),
) -> str | None:
    """Why no decision can be recorded at this gate now, or None when it is open.
    `open_conditions` are the engagement's open Conditional-Go conditions (with their
    decision's gate and owner): one set at an earlier gate keeps this one closed."""
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
    return open_condition_reason(gate_number, open_conditions)


def open_condition_reason(gate_number: int, open_conditions: Sequence[GateCondition]) -> str | None:
    """Why an earlier gate's open condition keeps gate `gate_number` closed, naming the one
    due first, or None."""
    blocking = sorted(
        (c for c in open_conditions if c.is_open and c.decision.gate.number < gate_number),
        key=lambda c: (c.due_date, c.pk or 0),
    )
    if not blocking:
        return None
    first = blocking[0]
    owner = person(first.owner) if first.owner else "no owner"
    more = len(blocking) - 1
    also = f" ({more} more condition{'s' if more > 1 else ''} open too)" if more else ""
    return (
        f"Gate {first.decision.gate.number}'s condition “{first.title}” ({owner}, due "
        f"{first.due_date:%-d %b}) is still open: mark it done first{also}."
    )


def overridden_musts(outcome: str, readiness) -> list[str]:
    """The titles of the must-meet criteria a Go-type `outcome` would override (none for
    other outcomes). `readiness` is a `criteria.Readiness`."""
    if outcome not in GO_OUTCOMES or readiness is None:
        return []
    return [result.criterion.title for result in readiness.unmet_musts]


def against_votes(outcome: str, tally) -> bool:
    """Whether `outcome` goes against the gatekeepers' rule. Once gatekeepers are named, a
    Go-type outcome is against the votes unless the tally passes — votes still pending count
    as not (yet) approving, so under "all" with 2 of 3 approving and 1 pending a Go needs a
    reason —, and No-Go is against them when the tally passes. No gatekeepers: never. Hold
    and Recycle decide nothing the votes were about, so they are never against them."""
    if tally is None or not getattr(tally, "gatekeepers", None):
        return False
    if outcome in GO_OUTCOMES:
        return tally.passes is not True
    return outcome == Outcome.NO_GO and tally.passes is True


def evidence_errors(
    outcome: str, readiness, tally, override_reason: str, vote_reason: str
) -> dict[str, str]:
    """Field → message for the reasons `outcome` needs and lacks: an override reason when it
    goes against the evidence (`overridden_musts`), a vote reason when it goes against the
    gatekeepers' rule (`against_votes`)."""
    errors = {}
    titles = overridden_musts(outcome, readiness)
    if titles and not override_reason.strip():
        errors["override_reason"] = (
            "Go with unmet must-meet criteria needs an override reason: "
            + "; ".join(f"“{title}”" for title in titles)
            + "."
        )
    if against_votes(outcome, tally) and not vote_reason.strip():
        if outcome in GO_OUTCOMES and tally.passes is None:
            errors["vote_reason"] = (
                f"The gatekeepers' votes do not approve this yet ({tally.summary}): say why "
                "you decide before they do."
            )
        else:
            errors["vote_reason"] = (
                f"The gatekeepers' votes do not support this decision ({tally.summary}): say "
                "why you decide against them."
            )
    return errors


def evidence_reasons(
    outcome: str, readiness, tally, override_reason: str, vote_reason: str
) -> tuple[str, str]:
    """The override and vote reasons to record with `outcome`. Each is needed when the
    decision goes against the evidence or the votes (`evidence_errors`: raise `GateError` on
    the first field missing one) and dropped when it does not, so a record never explains an
    override that did not happen."""
    for field, message in evidence_errors(
        outcome, readiness, tally, override_reason, vote_reason
    ).items():
        raise GateError(message, field=field)
    return (
        override_reason.strip() if overridden_musts(outcome, readiness) else "",
        vote_reason.strip() if against_votes(outcome, tally) else "",
    )


def condition_errors(
    outcome: str,
    conditions: Sequence[ConditionInput],
    decided_on: date | None,
    allowed_owner_ids: set[int] | None = None,
) -> list[str]:
    """What is wrong with the conditions of a decision: Conditional Go needs at least one;
    each has a title, an owner (one of `allowed_owner_ids` when given: the organisation's
    insiders, `conditions.condition_owners`) and a due date after the decision date and
    no later than 2100. Other outcomes take no conditions (callers drop them)."""
    if outcome != Outcome.CONDITIONAL_GO:
        return []
    if not conditions:
        return ["Conditional Go needs at least one condition: what must be done, by whom, by when."]
    errors = []
    for number, condition in enumerate(conditions, start=1):
        name = f"Condition {number}"
        if not condition.title.strip():
            errors.append(f"{name}: say what must be done.")
        if condition.owner is None:
            errors.append(f"{name}: choose who owns it.")
        elif allowed_owner_ids is not None and condition.owner.pk not in allowed_owner_ids:
            errors.append(
                f"{name}: {person(condition.owner)} may not own it: a condition is owned by "
                "one of your organisation's own people (the client confirms it met), never by "
                "a vendor contact or someone outside the organisation."
            )
        if condition.due_date is None:
            errors.append(f"{name}: give its due date.")
        elif decided_on and condition.due_date <= decided_on:
            errors.append(f"{name}: the due date must be after the decision date.")
        elif condition.due_date > LATEST:
            errors.append(f"{name}: the due date must be no later than 31 Dec 2100.")
    return errors


def baseline_phases(phases: Iterable[Phase]) -> list[dict]:
    """The plan a Go approves, as `PlanBaseline.phases` stores it (ISO dates; a phase that
    has ended keeps the day it ended, which is what later plans are compared with)."""
    return [
        {
            "number": phase.number,
            "planned_start": phase.planned_start.isoformat(),
            "planned_end": phase.planned_end.isoformat(),
            "actual_end": phase.actual_end.isoformat() if phase.actual_end else None,
            "status": phase.status,
        }
        for phase in sorted(phases, key=lambda p: p.number)
    ]


def plan_end_after_recycle(phases, phase: Phase, new_end_date: date) -> date:
    """Where the plan would end if `phase` were recycled to `new_end_date`."""
    last = max(phases, key=lambda p: p.number)
    return last.planned_end + (new_end_date - phase.planned_end)


def apply_decision(engagement: Engagement, phases: dict[int, Phase], decision) -> None:
    """Change the engagement and its phases in memory as the decision says; callers save
    `PHASE_FIELDS` and the engagement's status. Go and Conditional Go open the next phase
    (or complete the engagement at gate 3), No-Go stops it, Hold pauses it, Recycle extends
    the phase."""
    phase = phases[decision.gate.number]
    if decision.outcome in GO_OUTCOMES:
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
