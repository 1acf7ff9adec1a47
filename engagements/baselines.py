"""The current plan against the last approved baseline (the plan a Go approved, see
`PlanBaseline`): per phase, how far its end has drifted, so slippage is never silently
absorbed. Plain functions over rows already read; `baseline_panel` is what the engagement
page and the board PDF show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .enums import PHASES, PhaseStatus
from .money import budget_approved_now


@dataclass(frozen=True)
class PhaseDrift:
    """One phase: its end as approved and as planned now; `days` > 0 is later."""

    number: int
    name: str
    baseline_end: date | None  # None: the baseline did not list this phase
    current_end: date | None  # None: the phase will not run (cancelled)
    days: int | None

    @property
    def later(self) -> bool:
        return bool(self.days and self.days > 0)

    @property
    def earlier(self) -> bool:
        return bool(self.days and self.days < 0)


def baseline_drift(baseline, phases: Iterable) -> list[PhaseDrift]:
    """Each phase's end in `baseline` (a `PlanBaseline`) against its current planned end
    (`phases`: the engagement's `Phase` rows). A phase that finished is compared by the day
    it actually ended; a cancelled phase has no current end and no drift."""
    approved = {
        row["number"]: date.fromisoformat(row.get("actual_end") or row["planned_end"])
        for row in baseline.phases or []
    }
    rows = []
    for phase in sorted(phases, key=lambda p: p.number):
        if phase.status == PhaseStatus.CANCELLED:
            current = None
        elif phase.status in (PhaseStatus.DONE, PhaseStatus.STOPPED) and phase.actual_end:
            current = phase.actual_end
        else:
            current = phase.planned_end
        before = approved.get(phase.number)
        days = (current - before).days if current and before else None
        rows.append(PhaseDrift(phase.number, PHASES[phase.number][0], before, current, days))
    return rows


def plan_drift_days(drift: Iterable[PhaseDrift]) -> int | None:
    """How many days the plan's end has moved since the baseline (the last phase that will
    run), or None when there is nothing to compare."""
    compared = [row for row in drift if row.days is not None]
    return compared[-1].days if compared else None


def baseline_panel(engagement, facts, *, with_money: bool) -> dict | None:
    """The plan against the last approved baseline, or None before the first Go (and for a
    reader outside the company's deliberation, whose facts carry no baseline). `facts` are
    the engagement's (`facts.load_facts`), its phases prefetched; the budget approved then and
    now only `with_money`."""
    baseline = facts.baseline
    if baseline is None:
        return None
    drift = baseline_drift(baseline, engagement.phase_list)
    panel = {"baseline": baseline, "rows": drift, "plan_days": plan_drift_days(drift)}
    if with_money and baseline.budget_approved is not None and engagement.budget is not None:
        now = budget_approved_now(engagement.budget, facts.change_requests)
        panel |= {"budget_then": baseline.budget_approved, "budget_now": now}
        panel["budget_change"] = now - baseline.budget_approved
    return panel
