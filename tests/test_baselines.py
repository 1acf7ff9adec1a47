"""Each Go saves the plan it approved (a `PlanBaseline`); the engagement page and the board
PDF show the current plan against the last one, so slippage is never silently absorbed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from engagements import change_requests as workflow
from engagements.baselines import baseline_drift, plan_drift_days
from engagements.facts import facts_for
from engagements.models import ChangeRequest, Engagement, Outcome, PlanBaseline, RiskSettings
from engagements.reports import build_context
from engagements.risks import risk_radar

from .conftest import decide

pytestmark = pytest.mark.django_db


def phase(number, end, status="planned", actual_end=None):
    return SimpleNamespace(number=number, planned_end=end, status=status, actual_end=actual_end)


def test_drift_is_the_days_each_phase_ends_later_than_approved():
    baseline = SimpleNamespace(
        phases=[
            {"number": 1, "planned_end": "2026-03-02", "actual_end": "2026-03-02"},
            {"number": 2, "planned_end": "2026-08-31", "actual_end": None},
            {"number": 3, "planned_end": "2026-10-26", "actual_end": None},
        ]
    )
    rows = baseline_drift(
        baseline,
        [
            phase(1, date(2026, 3, 2), "done", date(2026, 3, 2)),
            phase(2, date(2026, 9, 14), "active"),
            phase(3, date(2026, 11, 9)),
        ],
    )
    assert [r.days for r in rows] == [0, 14, 14]
    assert [r.later for r in rows] == [False, True, True]
    assert plan_drift_days(rows) == 14


def test_a_cancelled_phase_has_no_drift():
    baseline = SimpleNamespace(phases=[{"number": 2, "planned_end": "2026-08-31"}])
    rows = baseline_drift(baseline, [phase(2, date(2026, 8, 31), "cancelled")])
    assert rows[0].days is None and rows[0].current_end is None


def test_each_go_saves_a_baseline_and_other_outcomes_do_not(engagement, owner):
    decide(engagement, 1, Outcome.HOLD, owner, on=date(2026, 2, 20))
    assert not PlanBaseline.objects.exists()
    first = decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    baseline = PlanBaseline.objects.get(decision=first)
    development = engagement.phases.get(number=2)
    stored = {row["number"]: row for row in baseline.phases}
    assert stored[2]["planned_start"] == "2026-03-02" == development.planned_start.isoformat()
    assert stored[2]["planned_end"] == development.planned_end.isoformat()
    assert stored[1]["actual_end"] == "2026-03-02"
    assert baseline.approved_on == date(2026, 3, 2) and baseline.budget_approved == Decimal(250000)
    decide(engagement, 2, Outcome.GO, owner, on=date(2026, 6, 1))
    assert PlanBaseline.objects.filter(engagement=engagement).count() == 2


def test_the_baseline_budget_includes_approved_change_requests(engagement, owner):
    change = ChangeRequest.objects.create(
        engagement=engagement,
        title="Second language",
        reason="Spanish",
        requested_by=owner,
        impact_money=Decimal(30000),
    )
    workflow.approve(change, by=owner)
    decision = decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    assert decision.baseline.budget_approved == Decimal(280000)


def test_the_page_shows_drift_after_a_recycle_to_insiders_only(
    client_for, engagement, owner, assigned_vendor
):
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    end = engagement.phases.get(number=2).planned_end
    new_end = date.fromordinal(end.toordinal() + 21)
    decide(engagement, 2, Outcome.RECYCLE, owner, on=date(2026, 3, 9), new_end_date=new_end)
    url = reverse("engagements:detail", args=[engagement.pk])
    page = client_for(owner).get(url).content.decode()
    panel = page.split('id="baseline-heading"')[1].split("</section>")[0]
    assert "Plan against the last approved baseline" in page
    assert "21 days later" in panel and "<strong>+21</strong>" in panel
    assert "Budget approved then" in panel
    # The plan a Go approved is the company's deliberation (PlanBaseline has no vendor path).
    vendor_page = client_for(assigned_vendor).get(url).content.decode()
    assert "baseline-heading" not in vendor_page and "21 days later" not in vendor_page


def test_a_vendor_contacts_facts_and_radar_carry_no_baseline(engagement, owner):
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    phase = engagement.phases.get(number=3)  # the plan's end
    phase.planned_end = date.fromordinal(phase.planned_end.toordinal() + 60)
    phase.save(update_fields=["planned_end"])
    engagement = Engagement.objects.prefetch_related("phases").get(pk=engagement.pk)
    today, settings = date(2026, 3, 10), RiskSettings.defaults()
    insider = facts_for(engagement, today, with_money=True)
    outsider = facts_for(engagement, today, with_money=False)
    assert insider.baseline is not None and outsider.baseline is None
    quoted = "60 days after the baseline approved on 2 Mar 2026"
    reasons = [r.reason for r in risk_radar(insider, settings, today, with_money=True)]
    assert any(quoted in reason for reason in reasons)
    reasons = [r.reason for r in risk_radar(outsider, settings, today, with_money=False)]
    assert not any("baseline" in reason for reason in reasons)


def test_no_baseline_panel_before_the_first_go(client_for, engagement, owner):
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert "Plan against the last approved baseline" not in page.content.decode()


def test_the_board_pdf_has_the_plan_against_the_baseline(engagement, owner):
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    end = engagement.phases.get(number=2).planned_end
    new_end = date.fromordinal(end.toordinal() + 7)
    decide(engagement, 2, Outcome.RECYCLE, owner, on=date(2026, 3, 9), new_end_date=new_end)
    gate = engagement.gates.get(number=2)
    context = build_context(gate, owner.memberships.get())
    assert context["baseline"]["plan_days"] == 7
    assert not context["readiness_kept"]  # gate 2 is still open: the criteria as they stand
    from django.template.loader import render_to_string

    html = render_to_string("engagements/board_gate_summary.html", context | {"job": None})
    assert "7 days later" in html and "Gate criteria as they stand" in html


def test_the_demo_has_baselines_from_each_go_and_a_conditional_go_with_open_conditions(
    client_for, org, owner, vendor
):
    from engagements.demo import seed_engagements
    from engagements.enums import GO_OUTCOMES
    from engagements.models import GateCondition, GateDecision

    seed_engagements(org, 7, owner.memberships.get(), vendor.memberships.get(), date(2026, 6, 1))
    gos = GateDecision.objects.filter(outcome__in=GO_OUTCOMES)
    assert gos.count() == PlanBaseline.objects.count() > 0
    assert all(decision.override_reason for decision in gos)
    condition = GateCondition.objects.filter(status="open").select_related("engagement").first()
    assert condition and condition.decision.outcome == Outcome.CONDITIONAL_GO
    url = reverse("engagements:detail", args=[condition.engagement_id])
    page = client_for(owner).get(url).content.decode()
    assert "is still open: mark it done first" in page
