"""The engagement's money and scope-change figures (R26), as plain functions: budget approved,
the spend forecast, change-request totals and the scope-creep warning. No request, no query:
the panel, the invoices page and the next issue's risk radar feed them what they read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .enums import EngagementStatus, PhaseStatus

CENT = Decimal("0.01")
DAYS_PER_WEEK = Decimal(7)

# R26, scope creep ("just one more model", guide §7): the warning fires at this many approved
# change requests, or when their cumulative impact exceeds this share of the plan's length
# (before the change requests) or of the budget.
SCOPE_CREEP_APPROVED_COUNT = 3
SCOPE_CREEP_SHARE = Decimal("0.20")

FORECAST_HELP = (
    "Forecast = spent + run rate × weeks left in the plan. The run rate is the spend per week "
    "since the engagement started (invoices to date ÷ weeks from the start date to today, at "
    "least one week); weeks left run from today to the planned end of the last phase. A "
    "stopped or completed engagement forecasts what it spent. No invoices yet: no forecast."
)


def budget_approved(budget: Decimal, approved_change_money: Decimal) -> Decimal:
    """The budget plus the money of the approved change requests: the engagement's `budget`
    stays as it was agreed; the changes are added on top, each one recorded."""
    return budget + approved_change_money


def budget_approved_now(budget: Decimal, change_requests: Iterable) -> Decimal:
    """The budget approved today from the engagement's change-request rows (their status and
    money, read already): `budget_approved` over `change_totals`. The one way the page, the
    board PDF, the baseline a Go saves, the radar and the stored figures compute it."""
    return budget_approved(budget, change_totals(change_requests, with_money=True).money)


@dataclass(frozen=True)
class Forecast:
    amount: Decimal | None  # None: no run rate yet
    run_rate: Decimal | None  # spend per week
    weeks_elapsed: Decimal
    weeks_left: Decimal


def forecast(spent: Decimal, start: date, plan_end: date, today: date, closed: bool) -> Forecast:
    """Spent plus the rest of the plan at the current run rate (see `FORECAST_HELP`)."""
    elapsed_days = (min(today, plan_end) - start).days
    weeks_elapsed = max(Decimal(elapsed_days) / DAYS_PER_WEEK, Decimal(1))
    weeks_left = max(Decimal((plan_end - today).days) / DAYS_PER_WEEK, Decimal(0))
    if closed:
        return Forecast(spent, None, weeks_elapsed, Decimal(0))
    if spent <= 0 or today < start:
        return Forecast(None, None, weeks_elapsed, weeks_left)
    run_rate = spent / weeks_elapsed
    amount = spent + run_rate * weeks_left
    return Forecast(_cents(amount), _cents(run_rate), weeks_elapsed, weeks_left)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plan_end(phases: Iterable) -> date | None:
    """The planned end of the last phase that will still run (cancelled ones will not)."""
    ends = [p.planned_end for p in phases if p.status != PhaseStatus.CANCELLED]
    return max(ends) if ends else None


def is_closed(status: str) -> bool:
    return status in (EngagementStatus.STOPPED, EngagementStatus.COMPLETED)


@dataclass(frozen=True)
class ChangeTotals:
    """What the change requests add up to. `money` is None for a reader who may not see it."""

    approved: int
    proposed: int
    weeks: int  # approved impact
    money: Decimal | None  # approved impact


def change_totals(change_requests: Iterable, with_money: bool) -> ChangeTotals:
    approved = [cr for cr in change_requests if cr.status == "approved"]
    proposed = sum(1 for cr in change_requests if cr.status == "proposed")
    money = sum((cr.impact_money for cr in approved), Decimal(0)) if with_money else None
    return ChangeTotals(len(approved), proposed, sum(cr.impact_weeks for cr in approved), money)


def scope_creep_warnings(
    totals: ChangeTotals,
    plan_weeks: float | Decimal,
    budget: Decimal | None,
    *,
    count: int = SCOPE_CREEP_APPROVED_COUNT,
    share: Decimal = SCOPE_CREEP_SHARE,
) -> list[str]:
    """R26: the guide's scope-creep warning, one line per threshold crossed.

    `plan_weeks` is the plan's length now (approved changes included); the share is taken of
    the plan before them. `budget` is the agreed budget, or None when the reader may not see
    money (the money threshold is then not stated). `count` and `share` are the thresholds:
    the guide's by default, the organisation's (`RiskSettings`) in the risk radar."""
    warnings = []
    if totals.approved >= count:
        warnings.append(
            f"Scope creep: {totals.approved} change requests approved "
            f"(the warning starts at {count}). The guide's “just one more "
            "model”: protect the timeline with strict, formal change requests."
        )
    before = Decimal(str(plan_weeks)) - totals.weeks
    if totals.weeks and (before <= 0 or Decimal(totals.weeks) / before > share):
        warnings.append(
            f"Scope creep: approved changes add {totals.weeks} weeks, more than "
            f"{share:.0%} of the {before:.0f}-week plan."
        )
    if budget is not None and totals.money:
        added = totals.money / budget if budget > 0 else None
        if added is None:
            warnings.append(
                "Scope creep: approved changes add money to an engagement with no budget."
            )
        elif added > share:
            warnings.append(
                f"Scope creep: approved changes add {added:.0%} to the budget, more than "
                f"{share:.0%}."
            )
    return warnings


# --- What the panel, the invoices page and a PDF show ------------------------------------

BAR_WIDTH, BAR_LEFT, BAR_RIGHT, BAR_ROW, BAR_TOP = 720, 130, 110, 30, 8


@dataclass(frozen=True)
class MoneyBar:
    label: str
    amount: Decimal
    y: int
    width: float
    colour: str

    @property
    def text_x(self) -> float:
        return round(BAR_LEFT + self.width + 6, 1)


@dataclass(frozen=True)
class MoneySummary:
    """What the panel, the invoices page and a PDF show. Money fields are None for readers
    who may not see money."""

    currency: str
    budget: Decimal | None
    approved: Decimal | None
    spent: Decimal | None
    forecast: Forecast | None
    changes: ChangeTotals
    warnings: list[str]
    bars: list[MoneyBar]
    chart_width: int = BAR_WIDTH
    chart_height: int = 0
    bar_left: int = BAR_LEFT


def money_bars(approved: Decimal, spent: Decimal, projected: Decimal | None) -> list[MoneyBar]:
    """Horizontal bars on one scale: budget approved, spent, forecast (red above budget)."""
    rows = [("Budget approved", approved, "#2b6cb0"), ("Spent", spent, "#2f855a")]
    if projected is not None:
        colour = "#c53030" if projected > approved else "#718096"
        rows.append(("Forecast", projected, colour))
    largest = max((amount for _, amount, _ in rows), default=Decimal(0)) or Decimal(1)
    span = BAR_WIDTH - BAR_LEFT - BAR_RIGHT
    return [
        MoneyBar(label, amount, BAR_TOP + i * BAR_ROW, round(float(span * amount / largest), 1), c)
        for i, (label, amount, c) in enumerate(rows)
    ]


def money_summary(
    engagement,
    phases: Iterable,
    spent_by_phase: dict[int, Decimal],
    changes: Iterable,
    *,
    with_money: bool,
    today: date,
) -> MoneySummary:
    """Budget approved, spent and forecast, and the change-request totals and warnings (R26),
    from rows already read (an engagement, its phases, {phase id: invoiced}, its change
    requests). Without money (`with_money` False: vendor contacts), only the change-request
    count and weeks, and the warnings that follow from them."""
    totals = change_totals(changes, with_money=with_money)
    end = plan_end(phases)
    plan_weeks = Decimal((end - engagement.start_date).days) / 7 if end else Decimal(0)
    if not with_money:
        warnings = scope_creep_warnings(totals, plan_weeks, None)
        return MoneySummary(engagement.currency, None, None, None, None, totals, warnings, [])
    spent = sum(spent_by_phase.values(), Decimal(0))
    approved = budget_approved(engagement.budget, totals.money)
    outlook = (
        forecast(spent, engagement.start_date, end, today, is_closed(engagement.status))
        if end
        else None
    )
    warnings = scope_creep_warnings(totals, plan_weeks, engagement.budget)
    if outlook and outlook.amount is not None and outlook.amount > approved:
        warnings.append(
            "At the current run rate the engagement will spend more than its approved budget."
        )
    bars = money_bars(approved, spent, outlook.amount if outlook else None)
    height = BAR_TOP * 2 + BAR_ROW * len(bars)
    return MoneySummary(
        engagement.currency,
        engagement.budget,
        approved,
        spent,
        outlook,
        totals,
        warnings,
        bars,
        chart_height=height,
    )
