"""Workflows that change several rows at once; each runs in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Membership

from .conditions import condition_owners
from .criteria import guide_criteria
from .enums import GO_OUTCOMES, ConditionStatus
from .gates import (
    PHASE_FIELDS,
    ConditionInput,
    GateError,
    apply_decision,
    baseline_phases,
    check_decision,
    condition_errors,
    evidence_reasons,
)
from .models import (
    PHASES,
    ChangeRequest,
    Engagement,
    EngagementStatus,
    Gate,
    GateCondition,
    GateDecision,
    Outcome,
    Phase,
    PhaseStatus,
    PlanBaseline,
)
from .models.checklists import ChecklistItem, guide_items
from .models.gate_reviews import GateCriterion
from .models.milestones import move_milestones
from .money import budget_approved_now
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
    # The guide's gate criteria (issue 8); the gates have their ids from the bulk insert.
    bulk_create_with_history(guide_criteria(engagement, gates), GateCriterion)
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
    override_reason: str = "",
    vote_reason: str = "",
    conditions: Sequence[ConditionInput] = (),
    expected_round: int | None = None,
) -> GateDecision:
    """Record a gate decision and apply it, by the rules in `gates.py`, on the evidence as it
    stands when the locks are held: the gate's readiness (`criteria.readiness_for`) and its
    gatekeepers' tally (`votes.tally_for`), both kept with the decision. A Go with an unmet
    must-meet needs `override_reason`, a decision against the votes `vote_reason`; a
    Conditional Go needs `conditions` (they become tasks); each Go-type outcome saves the plan
    it approved as a `PlanBaseline`. One transaction: all of it is written, or none.

    The engagement and gate rows are locked, so two simultaneous decisions cannot both pass
    the checks; the partial unique index on final decisions backs this up in the database.
    The open conditions are locked too, so marking one done and deciding the next gate
    serialise: the decision sees the condition either open (refused) or done.
    """
    from .criteria import readiness_for  # they read the models this module saves
    from .votes import tally_for

    try:
        with transaction.atomic():
            engagement = Engagement.objects.select_for_update().get(pk=gate.engagement_id)
            gate = Gate.objects.select_for_update().get(pk=gate.pk)
            phases = {p.number: p for p in engagement.phases.select_for_update()}
            open_conditions = list(
                GateCondition.objects.filter(engagement=engagement, status=ConditionStatus.OPEN)
                .select_related("owner", "decision__gate")
                .select_for_update(of=("self",))
            )
            today = timezone.localdate()
            check_decision(
                engagement=engagement,
                gate_number=gate.number,
                phases=list(phases.values()),
                earlier=list(gate.decisions.all()),
                outcome=outcome,
                decided_on=decided_on,
                new_end_date=new_end_date,
                today=today,
                open_conditions=open_conditions,
                expected_round=expected_round,
            )
            conditions = list(conditions) if outcome == Outcome.CONDITIONAL_GO else []
            errors = condition_errors(outcome, conditions, decided_on, _owner_ids(engagement))
            if errors:
                raise GateError(" ".join(errors), field="conditions")
            readiness, tally = readiness_for(gate, today), tally_for(gate)
            override_reason, vote_reason = evidence_reasons(
                outcome, readiness, tally, override_reason, vote_reason
            )
            decision = GateDecision.objects.create(
                gate=gate,
                outcome=outcome,
                rationale=rationale,
                decided_by=decided_by,
                decided_on=decided_on,
                attendees=attendees,
                new_end_date=new_end_date if outcome == Outcome.RECYCLE else None,
                override_reason=override_reason,
                vote_reason=vote_reason,
                readiness={"criteria": readiness.snapshot(), "votes": tally.snapshot()},
            )
            for condition in conditions:
                GateCondition.objects.create(
                    engagement=engagement,
                    decision=decision,
                    title=condition.title.strip(),
                    owner=condition.owner,
                    due_date=condition.due_date,
                )
            starts_before = {phase.pk: phase.planned_start for phase in phases.values()}
            apply_decision(engagement, phases, decision)
            for changed in phases.values():
                changed.save(update_fields=PHASE_FIELDS)
            # A late Go or a Recycle moves later phases: their milestones go with them.
            move_milestones(engagement, starts_before, phases.values(), by=decided_by)
            engagement.save(update_fields=["status", "updated_at"])
            if outcome in GO_OUTCOMES:
                _save_baseline(engagement, decision, phases.values())
            return decision
    except IntegrityError as exc:
        # The row locks make this race unreachable; the index is the last line of defence.
        if "one_final_decision_per_gate" not in str(exc):
            raise
        raise GateError(f"Gate {gate.number} was decided by someone else a moment ago.") from exc


def _owner_ids(engagement: Engagement) -> set[int]:
    """Who may own a condition (`conditions.condition_owners`), read under the engagement's
    lock, so someone demoted to vendor contact a moment ago is refused."""
    members = Membership.objects.filter(organisation_id=engagement.organisation_id)
    return set(condition_owners(members).values_list("user_id", flat=True))


def _save_baseline(engagement: Engagement, decision: GateDecision, phases) -> PlanBaseline:
    """The plan this Go approved: the phases' dates after the decision and the budget
    approved (`money.budget_approved_now`)."""
    changes = ChangeRequest.objects.filter(engagement=engagement).only(
        "id", "status", "impact_money", "impact_weeks"
    )
    return PlanBaseline.objects.create(
        engagement=engagement,
        decision=decision,
        approved_on=decision.decided_on,
        phases=baseline_phases(phases),
        budget_approved=budget_approved_now(engagement.budget, changes),
    )


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
