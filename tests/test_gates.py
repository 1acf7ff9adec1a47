import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from engagements.gates import GateError, decision_field_errors, phase_order_error
from engagements.models import (
    EngagementStatus,
    GateDecision,
    ImmutableRecordError,
    Outcome,
    PhaseStatus,
)

from .conftest import decide, make_engagement


def phase_states(engagement):
    return [p.status for p in engagement.phases.order_by("number")]


def test_new_engagement_has_three_phases_and_three_gates_with_poc_active(engagement):
    assert phase_states(engagement) == ["active", "planned", "planned"]
    assert [g.number for g in engagement.gates.all()] == [1, 2, 3]
    poc = engagement.phases.get(number=1)
    assert poc.billing_model == "time_materials" and poc.planned_weeks == 8


def test_go_opens_the_next_phase(engagement, owner):
    decide(engagement, 1, Outcome.GO, owner)
    assert phase_states(engagement) == ["done", "active", "planned"]
    development = engagement.phases.get(number=2)
    assert development.actual_start == date(2026, 3, 2)
    assert development.billing_model == "dedicated_team"


def test_go_at_gate_three_completes_the_engagement(engagement, owner):
    for number, day in ((1, 2), (2, 9), (3, 16)):
        decide(engagement, number, Outcome.GO, owner, on=date(2026, 3, day))
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.COMPLETED
    assert phase_states(engagement) == ["done", "done", "done"]


def test_no_go_stops_the_engagement(engagement, owner):
    decide(engagement, 1, Outcome.NO_GO, owner)
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.STOPPED
    assert phase_states(engagement)[0] == PhaseStatus.STOPPED
    with pytest.raises(GateError, match="stopped"):
        decide(engagement, 1, Outcome.GO, owner)


def test_hold_pauses_and_a_later_go_resumes(engagement, owner):
    decide(engagement, 1, Outcome.HOLD, owner)
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.ON_HOLD
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 9))
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.ACTIVE
    assert phase_states(engagement) == ["done", "active", "planned"]


def test_recycle_extends_the_phase_and_moves_the_later_ones(engagement, owner):
    before = {p.number: p for p in engagement.phases.all()}
    decide(engagement, 1, Outcome.RECYCLE, owner, new_end_date=date(2026, 3, 30))
    after = {p.number: p for p in engagement.phases.all()}
    assert after[1].planned_end == date(2026, 3, 30)
    shift = after[1].planned_end - before[1].planned_end
    assert after[2].planned_start == before[2].planned_start + shift
    assert after[3].planned_end == before[3].planned_end + shift
    assert phase_states(engagement)[0] == PhaseStatus.ACTIVE


def test_recycle_needs_an_end_date_after_the_decision(engagement, owner):
    with pytest.raises(GateError, match="new end date"):
        decide(engagement, 1, Outcome.RECYCLE, owner, new_end_date=date(2026, 2, 1))
    assert not GateDecision.objects.exists()


def test_deciding_gate_two_before_gate_one_is_refused(engagement, owner):
    with pytest.raises(GateError, match="decide gate 1 first"):
        decide(engagement, 2, Outcome.GO, owner)
    assert phase_states(engagement) == ["active", "planned", "planned"]


def test_a_gate_decided_go_cannot_be_decided_again(engagement, owner):
    decide(engagement, 1, Outcome.GO, owner)
    with pytest.raises(GateError, match="already decided"):
        decide(engagement, 1, Outcome.NO_GO, owner)


def test_a_decision_dated_before_the_phase_started_is_refused(engagement, owner):
    with pytest.raises(GateError, match="before Discovery & PoC started"):
        decide(engagement, 1, Outcome.GO, owner, on=date(2025, 12, 1))


def test_recorded_decisions_can_never_be_edited_or_deleted(engagement, owner):
    decision = decide(engagement, 1, Outcome.GO, owner)
    decision.rationale = "Rewritten history"
    with pytest.raises(ImmutableRecordError):
        decision.save()
    with pytest.raises(ImmutableRecordError):
        decision.delete()
    with pytest.raises(ImmutableRecordError):
        GateDecision.objects.filter(pk=decision.pk).update(rationale="x")
    with pytest.raises(ImmutableRecordError):
        GateDecision.objects.all().delete()
    decision.refresh_from_db()
    assert decision.rationale == "Because."


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_decisions_on_one_gate_leave_exactly_one(org, owner):
    engagement = make_engagement(org, owner)
    barrier = threading.Barrier(2)
    results = []

    def attempt(outcome):
        try:
            barrier.wait()
            decide(engagement, 1, outcome, owner)
            results.append("ok")
        except GateError as exc:
            results.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(o,)) for o in (Outcome.GO, Outcome.NO_GO)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r == "ok" for r in results) == [False, True]
    assert GateDecision.objects.filter(gate__engagement=engagement).count() == 1
    engagement.refresh_from_db()
    assert engagement.status in (EngagementStatus.ACTIVE, EngagementStatus.STOPPED)


def test_a_late_go_starts_the_next_phase_on_the_day_and_keeps_its_length(engagement, owner):
    development = engagement.phases.get(number=2)
    weeks = development.planned_weeks
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 7, 1))
    development.refresh_from_db()
    assert development.planned_start == date(2026, 7, 1)
    assert development.planned_weeks == weeks
    handover = engagement.phases.get(number=3)
    assert handover.planned_start == development.planned_end


def test_a_decision_cannot_be_dated_in_the_future(engagement, owner):
    with pytest.raises(GateError, match="future"):
        decide(engagement, 1, Outcome.GO, owner, on=date(2099, 1, 1))


def test_decisions_at_a_gate_are_recorded_in_date_order(engagement, owner):
    decide(engagement, 1, Outcome.HOLD, owner, on=date(2026, 3, 2))
    with pytest.raises(GateError, match="previous decision"):
        decide(engagement, 1, Outcome.GO, owner, on=date(2026, 1, 10))


def test_recycle_cannot_shorten_the_phase(engagement, owner):
    poc = engagement.phases.get(number=1)
    with pytest.raises(GateError, match="after its current planned end"):
        decide(
            engagement,
            1,
            Outcome.RECYCLE,
            owner,
            on=date(2026, 1, 20),
            new_end_date=poc.planned_end - timedelta(days=7),
        )


def test_a_new_instance_with_an_existing_pk_cannot_overwrite_a_decision(engagement, owner):
    decision = decide(engagement, 1, Outcome.HOLD, owner)
    forged = GateDecision(
        pk=decision.pk,
        gate=decision.gate,
        outcome=Outcome.GO,
        rationale="rewritten",
        decided_by=owner,
        decided_on=decision.decided_on,
        recorded_at=decision.recorded_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    decision.refresh_from_db()
    assert decision.outcome == Outcome.HOLD and decision.rationale == "Because."


def test_the_phase_order_rule_names_the_phase_that_overlaps():
    plan = [
        (2, date(2026, 3, 1), date(2026, 6, 1)),
        (1, date(2026, 1, 1), date(2026, 3, 2)),
        (3, date(2026, 6, 1), date(2026, 7, 1)),
    ]
    assert phase_order_error(plan) == (
        "Phase 2 starts before phase 1 ends: the phases run one after another."
    )
    assert phase_order_error([(1, date(2026, 1, 1), date(2026, 3, 1))] * 2).startswith(
        "These phases do not match"
    )


@pytest.mark.parametrize(
    ("outcome", "new_end", "error"),
    [
        (Outcome.RECYCLE, None, "give its new end date"),
        (Outcome.RECYCLE, date(2026, 3, 1), "after the decision date"),
        (Outcome.GO, date(2026, 5, 1), "Only a Recycle decision"),
        (Outcome.RECYCLE, date(2026, 5, 1), None),
        (Outcome.HOLD, None, None),
    ],
)
def test_the_form_and_the_workflow_share_the_decision_field_rules(outcome, new_end, error):
    errors = decision_field_errors(outcome, date(2026, 3, 2), new_end)
    assert (error in errors["new_end_date"]) if error else errors == {}
