"""The money formulas as plain functions: budget approved, the forecast at the current run
rate, change-request totals and the scope-creep thresholds (R26); and the plan shift an
approved change request applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from engagements.change_requests import shift_plan
from engagements.money import (
    SCOPE_CREEP_APPROVED_COUNT,
    SCOPE_CREEP_SHARE,
    ChangeTotals,
    budget_approved,
    change_totals,
    forecast,
    money_bars,
    money_summary,
    scope_creep_warnings,
)

START = date(2026, 1, 5)


def test_budget_approved_is_the_budget_plus_approved_change_money():
    assert budget_approved(Decimal(250_000), Decimal(30_000)) == Decimal(280_000)


def test_forecast_is_spent_plus_the_weeks_left_at_the_run_rate_since_the_start():
    # 10 weeks in, 50,000 spent: 5,000 a week; 14 weeks left in a 24-week plan.
    today, end = START + timedelta(weeks=10), START + timedelta(weeks=24)
    outlook = forecast(Decimal(50_000), START, end, today, closed=False)
    assert outlook.run_rate == Decimal("5000.00")
    assert outlook.weeks_left == 14
    assert outlook.amount == Decimal(50_000 + 5_000 * 14)


def test_forecast_counts_at_least_one_week_so_a_first_invoice_is_not_blown_up():
    today, end = START + timedelta(days=2), START + timedelta(weeks=10)
    outlook = forecast(Decimal(7_000), START, end, today, closed=False)
    assert outlook.weeks_elapsed == 1 and outlook.run_rate == Decimal("7000.00")
    weeks_left = Decimal((end - today).days) / 7
    assert outlook.amount == (Decimal(7_000) + 7_000 * weeks_left).quantize(Decimal("0.01"))


def test_forecast_past_the_planned_end_is_what_was_spent():
    end = START + timedelta(weeks=20)
    outlook = forecast(Decimal(90_000), START, end, end + timedelta(weeks=6), closed=False)
    assert outlook.weeks_left == 0 and outlook.amount == Decimal(90_000)
    # The run rate is over the planned weeks, not the overrun.
    assert outlook.run_rate == Decimal("4500.00")


def test_no_invoices_no_forecast_and_a_closed_engagement_forecasts_its_spend():
    end = START + timedelta(weeks=20)
    assert forecast(Decimal(0), START, end, START + timedelta(weeks=3), closed=False).amount is None
    closed = forecast(Decimal(12_000), START, end, START + timedelta(weeks=3), closed=True)
    assert closed.amount == Decimal(12_000)


@dataclass
class Change:
    status: str
    impact_weeks: int = 0
    impact_money: Decimal = Decimal(0)


def test_change_totals_count_only_approved_impact_and_hide_money_when_asked():
    changes = [
        Change("approved", 2, Decimal(10_000)),
        Change("approved", 1, Decimal(5_000)),
        Change("proposed", 9, Decimal(99_000)),
        Change("rejected", 9, Decimal(99_000)),
    ]
    assert change_totals(changes, with_money=True) == ChangeTotals(2, 1, 3, Decimal(15_000))
    assert change_totals(changes, with_money=False).money is None


def test_r26_scope_creep_fires_at_three_approved_change_requests():
    """R26: scope creep → formal change requests; the count threshold fires."""
    below = ChangeTotals(SCOPE_CREEP_APPROVED_COUNT - 1, 0, 1, Decimal(1))
    assert scope_creep_warnings(below, 30, Decimal(100_000)) == []
    at = ChangeTotals(SCOPE_CREEP_APPROVED_COUNT, 0, 1, Decimal(1))
    (warning,) = scope_creep_warnings(at, 30, Decimal(100_000))
    assert "3 change requests approved" in warning and "just one more" in warning


def test_r26_scope_creep_fires_above_a_fifth_of_the_plan_or_the_budget():
    """R26: cumulative impact over SCOPE_CREEP_SHARE of the plan's weeks or of the budget."""
    assert Decimal("0.20") == SCOPE_CREEP_SHARE
    # A 30-week plan now, 5 of them added: 5 / 25 = 20%, not over.
    assert scope_creep_warnings(ChangeTotals(1, 0, 5, Decimal(0)), 30, Decimal(100)) == []
    (weeks,) = scope_creep_warnings(ChangeTotals(1, 0, 6, Decimal(0)), 30, Decimal(100))
    assert "add 6 weeks, more than 20% of the 24-week plan" in weeks
    assert scope_creep_warnings(ChangeTotals(1, 0, 0, Decimal(20_000)), 30, Decimal(100_000)) == []
    (money,) = scope_creep_warnings(ChangeTotals(1, 0, 0, Decimal(20_001)), 30, Decimal(100_000))
    assert "to the budget, more than 20%" in money
    # A reader who may not see money gets no money warning.
    assert scope_creep_warnings(ChangeTotals(1, 0, 0, None), 30, None) == []


@dataclass
class P:
    number: int
    status: str
    planned_start: date
    planned_end: date


def plan(*statuses):
    starts = [START, START + timedelta(weeks=8), START + timedelta(weeks=24)]
    ends = [starts[1], starts[2], START + timedelta(weeks=29)]
    return [P(n + 1, s, starts[n], ends[n]) for n, s in enumerate(statuses)]


def test_an_approval_extends_the_running_phase_and_moves_the_later_ones():
    phases = plan("done", "active", "planned")
    before = [(p.planned_start, p.planned_end) for p in phases]
    moved = shift_plan(phases, 3)
    week3 = timedelta(weeks=3)
    assert [p.number for p in moved] == [2, 3]
    assert (phases[0].planned_start, phases[0].planned_end) == before[0]  # the past stays
    assert phases[1].planned_start == before[1][0] and phases[1].planned_end == before[1][1] + week3
    assert (phases[2].planned_start, phases[2].planned_end) == (
        before[2][0] + week3,
        before[2][1] + week3,
    )


def test_zero_weeks_or_a_finished_plan_moves_nothing():
    assert shift_plan(plan("active", "planned", "planned"), 0) == []
    assert shift_plan(plan("done", "stopped", "cancelled"), 2) == []


def test_bars_share_one_scale_and_a_forecast_over_budget_is_red():
    approved, spent, projected = money_bars(Decimal(200), Decimal(100), Decimal(300))
    assert projected.width > approved.width > spent.width
    assert abs(spent.width * 2 - approved.width) <= 0.2
    assert projected.colour == "#c53030" and approved.colour != "#c53030"


@dataclass
class E:
    start_date: date
    budget: Decimal
    status: str = "active"
    currency: str = "EUR"


def test_the_summary_warns_when_the_forecast_passes_the_budget_approved_and_hides_money():
    phases = plan("active", "planned", "planned")  # a 29-week plan
    engagement = E(START, Decimal(100_000))
    today = START + timedelta(weeks=10)
    # 60,000 in 10 weeks: 6,000 a week, 19 weeks left → 174,000, over 100,000 + 10,000.
    changes = [Change("approved", 0, Decimal(10_000))]
    summary = money_summary(
        engagement, phases, {1: Decimal(60_000)}, changes, with_money=True, today=today
    )
    assert summary.approved == Decimal(110_000) and summary.forecast.amount == Decimal(174_000)
    assert any("more than its approved budget" in w for w in summary.warnings)
    assert [bar.label for bar in summary.bars] == ["Budget approved", "Spent", "Forecast"]
    hidden = money_summary(
        engagement, phases, {1: Decimal(60_000)}, changes, with_money=False, today=today
    )
    assert hidden.approved is hidden.spent is hidden.forecast is hidden.changes.money is None
    assert hidden.bars == [] and hidden.changes.approved == 1
