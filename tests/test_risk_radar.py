"""The risk radar (engagements/risks.py): each risk fires on the engagement's own data, says
why with numbers, links to the data, clears when the data does, and moves with the
organisation's thresholds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from engagements.facts import facts_for
from engagements.models import (
    ChangeRequest,
    ChecklistItem,
    Engagement,
    GateCondition,
    Invoice,
    Milestone,
    PlanBaseline,
    RiskSettings,
    WeeklyReport,
)
from engagements.models.gates import GateDecision
from engagements.risks import risk_radar

# make_engagement's plan: PoC 5 Jan → 2 Mar 2026, development → 22 Jun, handover → late Jul.
POC_MIDWAY = date(2026, 2, 10)


def fresh(engagement) -> Engagement:
    return Engagement.objects.prefetch_related("phases").get(pk=engagement.pk)


def radar(engagement, today, *, with_money=True, **thresholds):
    settings = RiskSettings.defaults(engagement.organisation)
    for name, value in thresholds.items():
        setattr(settings, name, value)
    engagement = fresh(engagement)
    return {
        risk.key: risk
        for risk in risk_radar(
            facts_for(engagement, today, with_money=with_money),
            settings,
            today,
            with_money=with_money,
        )
    }


def enter_phase(engagement, number: int) -> None:
    """Move the engagement into phase `number` (the phases before it done)."""
    engagement.phases.filter(number__lt=number).update(status="done")
    engagement.phases.filter(number=number).update(status="active")


def report(engagement, week: int, *, hours_only=False, year=2026, by=None):
    return WeeklyReport.objects.create(
        engagement=engagement,
        year=year,
        week=week,
        summary="Week",
        hours=Decimal(40),
        data_quality_score=None if hours_only else 80,
        submitted_by=by,
    )


def test_a_healthy_poc_has_no_risk(engagement):
    engagement.data_readiness = 80
    engagement.save()
    assert radar(engagement, date(2026, 1, 8)) == {}


def test_low_data_readiness_is_no_usable_data_and_clears_when_assessed_higher(engagement):
    engagement.data_readiness = 45
    engagement.save()
    risk = radar(engagement, POC_MIDWAY)["no_usable_data"]
    assert risk.severity == "amber"
    assert "45%" in risk.reason and "60%" in risk.reason
    # Gate 1's criteria, which every insider may read (the edit page is owners' only).
    assert risk.link == reverse("engagements:gate_criteria", args=[engagement.pk, 1])
    assert "no_usable_data" not in radar(engagement, POC_MIDWAY, readiness_min=40)
    engagement.data_readiness = 20  # under half the minimum
    engagement.save()
    assert radar(engagement, POC_MIDWAY)["no_usable_data"].severity == "red"
    engagement.data_readiness = 60
    engagement.save()
    assert "no_usable_data" not in radar(engagement, POC_MIDWAY)


def test_readiness_not_assessed_is_a_risk_only_past_half_the_poc(engagement):
    assert "no_usable_data" not in radar(engagement, date(2026, 1, 20))
    risk = radar(engagement, POC_MIDWAY)["no_usable_data"]
    assert "not been assessed" in risk.reason and "%" in risk.reason


def test_development_without_a_hardening_milestone_is_poc_treated_as_production(engagement):
    enter_phase(engagement, 2)
    today = date(2026, 3, 10)
    risk = radar(engagement, today)["poc_as_production"]
    assert risk.link == reverse("engagements:milestones", args=[engagement.pk])
    development = engagement.phases.get(number=2)
    Milestone.objects.create(
        engagement=engagement,
        phase=development,
        title="Remove hardcoded thresholds, add error handling and alerts",
        due_date=date(2026, 5, 1),
    )
    assert "poc_as_production" not in radar(engagement, today)


@pytest.fixture
def changes(engagement, owner):
    def add(n, *, status="approved", weeks=0, money=0, created=None):
        rows = [
            ChangeRequest.objects.create(
                engagement=engagement,
                title=f"One more model {i}",
                reason="Because.",
                impact_weeks=weeks,
                impact_money=Decimal(money),
                status=status,
                requested_by=owner,
                decided_by=None if status == "proposed" else owner,
                decided_at=None if status == "proposed" else timezone.now(),
            )
            for i in range(n)
        ]
        if created:
            ChangeRequest.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=created)
        return rows

    return add


def test_scope_creep_fires_at_the_count_and_moves_with_the_settings(engagement, changes):
    today = date(2026, 2, 1)
    changes(2)
    assert "scope_creep" not in radar(engagement, today)
    changes(1)
    risk = radar(engagement, today)["scope_creep"]
    assert "3 change requests approved" in risk.reason and risk.severity == "amber"
    assert risk.link == reverse("engagements:change_requests", args=[engagement.pk])
    assert not risk.internal
    assert "scope_creep" not in radar(engagement, today, change_request_count=4)
    assert radar(engagement, today, change_request_count=1)["scope_creep"].severity == "red"


def test_scope_creep_fires_on_weeks_and_money_shares_and_clears(engagement, changes):
    today = date(2026, 2, 1)
    # The plan did not move here, so the share is of its 29 weeks less these 7: 32%.
    (change,) = changes(1, weeks=7)
    risk = radar(engagement, today)["scope_creep"]
    assert "7 weeks" in risk.reason
    assert "scope_creep" not in radar(engagement, today, change_request_share=40)
    ChangeRequest.objects.filter(pk=change.pk).update(impact_weeks=0, impact_money=60_000)
    risk = radar(engagement, today)["scope_creep"]
    assert "24%" in risk.reason and risk.internal  # 60,000 of 250,000
    # Without money (vendor contacts) the money share is neither computed nor said.
    assert "scope_creep" not in radar(engagement, today, with_money=False)
    ChangeRequest.objects.filter(pk=change.pk).update(status="withdrawn")
    assert "scope_creep" not in radar(engagement, today)


def test_a_change_request_left_undecided_is_a_risk(engagement, changes):
    created = timezone.make_aware(datetime(2026, 1, 10, 9))
    changes(1, status="proposed", created=created)
    assert "change_request_open" not in radar(engagement, date(2026, 1, 24))  # 14 days
    risk = radar(engagement, date(2026, 1, 25))["change_request_open"]
    assert "15 days" in risk.reason and "14" in risk.reason and risk.severity == "amber"
    assert radar(engagement, date(2026, 2, 20))["change_request_open"].severity == "red"
    assert "change_request_open" not in radar(
        engagement, date(2026, 1, 25), change_request_open_days=30
    )


def test_mlops_items_open_half_way_through_development_are_mlops_ignored(engagement):
    enter_phase(engagement, 2)  # 2 Mar → 22 Jun: half way on 12 Apr
    assert "mlops_ignored" not in radar(engagement, date(2026, 4, 1))
    risk = radar(engagement, date(2026, 5, 1))["mlops_ignored"]
    assert "6 of 6 MLOps items" in risk.reason and "50%" in risk.reason
    assert risk.link == reverse("engagements:handover", args=[engagement.pk])
    assert "mlops_ignored" not in radar(engagement, date(2026, 5, 1), mlops_development_share=80)
    enter_phase(engagement, 3)  # still open in handover: red
    assert radar(engagement, date(2026, 6, 25))["mlops_ignored"].severity == "red"
    engagement.checklist_items.filter(checklist="mlops").update(
        status="done", done_on=date(2026, 6, 1)
    )
    assert "mlops_ignored" not in radar(engagement, date(2026, 6, 25))


def test_knowledge_transfer_open_as_handover_nears_is_the_handoff_trap(engagement):
    enter_phase(engagement, 2)
    handover = engagement.phases.get(number=3)
    weeks_before = handover.planned_start - timedelta(weeks=5)
    assert "handoff_trap" not in radar(engagement, weeks_before)
    risk = radar(engagement, handover.planned_start - timedelta(days=10))["handoff_trap"]
    assert "starts in 10 days" in risk.reason and risk.severity == "amber"
    enter_phase(engagement, 3)
    late = handover.planned_end - timedelta(days=3)
    assert radar(engagement, late)["handoff_trap"].severity == "red"
    ChecklistItem.objects.filter(engagement=engagement, checklist="knowledge_transfer").update(
        status="not_applicable"
    )
    assert "handoff_trap" not in radar(engagement, late)


def test_hours_only_and_missing_reports(engagement):
    today = date(2026, 2, 4)  # weeks 2–5 complete since the start (week 2)
    risks = radar(engagement, today)
    assert "4 weeks without a status report" in risks["missing_reports"].reason
    assert risks["missing_reports"].severity == "red"  # twice the threshold of 2
    assert "hours_only_reports" not in risks
    report(engagement, 2, hours_only=True)
    report(engagement, 3, hours_only=True)
    risks = radar(engagement, today)
    assert "2 of the last 8 weeks" in risks["hours_only_reports"].reason
    assert risks["hours_only_reports"].link == reverse(
        "engagements:weekly_reports", args=[engagement.pk]
    )
    assert risks["missing_reports"].severity == "amber"  # weeks 4 and 5
    assert "missing_reports" not in radar(engagement, today, missing_report_weeks=3)
    assert "hours_only_reports" not in radar(engagement, today, hours_only_reports=3)
    report(engagement, 4)
    assert "missing_reports" not in radar(engagement, today)
    # Older than the last 8 weeks, hours-only reports no longer count.
    assert "hours_only_reports" not in radar(engagement, date(2026, 4, 1), missing_report_weeks=50)


def test_spending_past_the_approved_budget_is_a_red_overrun_for_insiders_only(engagement, owner):
    today = date(2026, 2, 1)
    phase = engagement.phases.get(number=1)
    invoice = Invoice.objects.create(
        engagement=engagement,
        phase=phase,
        reference="INV-1",
        amount=Decimal("260000"),
        date=date(2026, 1, 30),
        recorded_by=owner,
    )
    risk = radar(engagement, today)["budget_overrun"]
    assert risk.severity == "red" and risk.internal
    assert "$260,000" in risk.reason and "$250,000 approved" in risk.reason
    assert risk.link == reverse("engagements:invoices", args=[engagement.pk])
    assert "budget_overrun" not in radar(engagement, today, with_money=False)
    # Within the tolerance, spent is no overrun (the forecast still is: amber).
    assert radar(engagement, today, budget_overrun_share=5)["budget_overrun"].severity == "amber"
    # Spent within budget, but the run rate forecasts past it: amber.
    Invoice.objects.filter(pk=invoice.pk).update(amount=Decimal("100000"))
    risk = radar(engagement, today)["budget_overrun"]
    assert risk.severity == "amber" and "forecast" in risk.reason


def test_an_overdue_gate_is_a_slip_red_past_the_threshold(engagement):
    poc_end = engagement.phases.get(number=1).planned_end
    risk = radar(engagement, poc_end + timedelta(days=3))["schedule_slip"]
    assert risk.severity == "amber" and "3 days past its planned end" in risk.reason
    assert risk.link.endswith("#gate-1")
    assert radar(engagement, poc_end + timedelta(days=15))["schedule_slip"].severity == "red"
    assert (
        radar(engagement, poc_end + timedelta(days=15), schedule_slip_days=20)[
            "schedule_slip"
        ].severity
        == "amber"
    )


def test_an_overdue_milestone_and_drift_from_the_baseline_are_slips(engagement, owner):
    phase = engagement.phases.get(number=1)
    Milestone.objects.create(
        engagement=engagement, phase=phase, title="Data audit", due_date=date(2026, 1, 20)
    )
    assert "schedule_slip" not in radar(engagement, date(2026, 2, 2))  # 13 days
    risk = radar(engagement, date(2026, 2, 4))["schedule_slip"]
    assert "“Data audit” is 15 days overdue" in risk.reason
    Milestone.objects.filter(engagement=engagement).update(status="done")
    assert "schedule_slip" not in radar(engagement, date(2026, 2, 4))
    gate = engagement.gates.get(number=1)
    decision = GateDecision.objects.create(
        gate=gate, outcome="hold", rationale="x", decided_by=owner, decided_on=date(2026, 1, 30)
    )
    ends = {p.number: p.planned_end for p in engagement.phases.all()}
    PlanBaseline.objects.create(
        engagement=engagement,
        decision=decision,
        approved_on=date(2026, 1, 30),
        budget_approved=Decimal(250000),
        phases=[
            {"number": n, "planned_end": (end - timedelta(days=30)).isoformat()}
            for n, end in ends.items()
        ],
    )
    risk = radar(engagement, date(2026, 2, 4))["schedule_slip"]
    assert "30 days after the baseline approved on 30 Jan 2026" in risk.reason
    assert risk.severity == "red"  # over twice the 14 days


def test_an_overdue_condition_is_red(engagement, owner):
    gate = engagement.gates.get(number=1)
    decision = GateDecision.objects.create(
        gate=gate, outcome="hold", rationale="x", decided_by=owner, decided_on=date(2026, 1, 30)
    )
    GateCondition.objects.create(
        engagement=engagement,
        decision=decision,
        title="Sign the data-processing agreement",
        owner=owner,
        due_date=date(2026, 2, 1),
    )
    assert "overdue_conditions" not in radar(engagement, date(2026, 2, 1))
    risk = radar(engagement, date(2026, 2, 4))["overdue_conditions"]
    assert risk.severity == "red" and "3 days overdue" in risk.reason
    assert "gate 1" in risk.reason
    GateCondition.objects.update(status="done", done_on=date(2026, 2, 4))
    assert "overdue_conditions" not in radar(engagement, date(2026, 2, 4))


def test_a_stopped_or_completed_engagement_has_no_open_risk(engagement):
    Engagement.objects.filter(pk=engagement.pk).update(status="stopped")
    assert radar(engagement, date(2026, 6, 1)) == {}


def test_red_risks_come_first(engagement, owner):
    engagement.data_readiness = 50  # amber
    engagement.save()
    poc_end = engagement.phases.get(number=1).planned_end
    keys = list(radar(engagement, poc_end + timedelta(days=20)))
    assert keys.index("schedule_slip") < keys.index("no_usable_data")
