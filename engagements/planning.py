"""The guide's phase norms (§5) and the default plan a new engagement starts with."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Protocol

from django.core.validators import MaxValueValidator, MinValueValidator

from .enums import BillingModel
from .milestone_norms import MilestonePlan, milestone_warnings

# Dates outside this window are typing mistakes (year 20206), and would overflow date arithmetic.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
DATE_BOUNDS = [
    MinValueValidator(EARLIEST, "Enter a date from the year 2000 on."),
    MaxValueValidator(LATEST, "Enter a date before the year 2101."),
]

# The plan fields of a phase, which the phase form edits and rescheduling moves.
PLAN_FIELDS = ["billing_model", "planned_start", "planned_end"]

POC_WEEKS = (6, 12)
HANDOVER_WEEKS = (4, 8)
HANDOVER_SHARE = (0.15, 0.20)

DEFAULT_POC_WEEKS = 8
DEFAULT_DEVELOPMENT_WEEKS = 16


NORMS = (
    f"Discovery & PoC: {POC_WEEKS[0]}–{POC_WEEKS[1]} weeks, billed time & materials. "
    "Development & Iteration: a dedicated team. "
    f"Transition & Handover: {HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks, "
    f"{HANDOVER_SHARE[0]:.0%}–{HANDOVER_SHARE[1]:.0%} of the total."
)


class PhasePlan(Protocol):
    """What the norms read of a phase: a saved `Phase` or a `PlannedPhase` alike."""

    number: int
    billing_model: str

    @property
    def planned_weeks(self) -> float: ...


@dataclass(frozen=True)
class PlannedPhase:
    number: int
    planned_start: date
    planned_end: date
    billing_model: str = ""

    @property
    def planned_weeks(self) -> float:
        return (self.planned_end - self.planned_start).days / 7


def _share(handover: int, build_weeks: int) -> float:
    return handover / (build_weeks + handover) if build_weeks + handover else 0


def _within_share(handover: int, build_weeks: int) -> bool:
    return HANDOVER_SHARE[0] <= _share(handover, build_weeks) <= HANDOVER_SHARE[1]


def handover_weeks_for(build_weeks: int) -> int:
    """Whole weeks of handover after `build_weeks` of PoC and development: within 4–8 weeks
    and 15–20% of the total where both can hold (the middle of the share, rounded up, or the
    nearest whole week that keeps both).

    When they cannot both hold — a build under 16 weeks (even 4 weeks is over 20%) or over
    45 weeks (even 8 weeks is under 15%) — the length wins: 4–8 weeks is what documentation,
    pair programming and a supervised period need whatever the project's size, while the
    share is the guide's rule of thumb for budgeting it. The plan then warns about the share
    (`plan_warnings`), and `handover_note` says why.
    """
    middle = sum(HANDOVER_SHARE) / 2
    weeks = math.ceil(middle * build_weeks / (1 - middle))
    weeks = min(max(weeks, HANDOVER_WEEKS[0]), HANDOVER_WEEKS[1])
    if _within_share(weeks, build_weeks):
        return weeks
    fitting = [
        w for w in range(HANDOVER_WEEKS[0], HANDOVER_WEEKS[1] + 1) if _within_share(w, build_weeks)
    ]
    if fitting:
        # Rounding the middle up overshot 20% (19 build weeks → 5 is 20.8%): the nearest fit.
        return min(fitting, key=lambda w: abs(_share(w, build_weeks) - middle))
    return weeks


def handover_note(build_weeks: int) -> str | None:
    """Why the default handover breaks the 15–20% share, when it must; None when it keeps both
    norms."""
    handover = handover_weeks_for(build_weeks)
    share = _share(handover, build_weeks)
    if HANDOVER_SHARE[0] <= share <= HANDOVER_SHARE[1]:
        return None
    side = "more" if share > HANDOVER_SHARE[1] else "less"
    return (
        f"With {build_weeks} weeks of PoC and development, no handover of "
        f"{HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks is {HANDOVER_SHARE[0]:.0%}–"
        f"{HANDOVER_SHARE[1]:.0%} of the total. The plan keeps the guide's length, "
        f"{handover} weeks ({share:.0%} of the total, {side} than the share): documentation, "
        "pair programming and a supervised period need that time whatever the project's size."
    )


# PoC + development lengths for which the default handover keeps both norms.
BALANCED_BUILD_WEEKS = (
    min(b for b in range(1, 400) if handover_note(b) is None),
    max(b for b in range(1, 400) if handover_note(b) is None),
)


def default_plan(
    start: date,
    poc_weeks: int = DEFAULT_POC_WEEKS,
    development_weeks: int = DEFAULT_DEVELOPMENT_WEEKS,
) -> list[PlannedPhase]:
    """Three back-to-back phases: PoC, development, and a handover of 4–8 weeks sized to
    15–20% of the total; where both cannot hold, 4–8 weeks (see `handover_weeks_for`)."""
    handover = handover_weeks_for(poc_weeks + development_weeks)
    phases, cursor = [], start
    for number, weeks in enumerate((poc_weeks, development_weeks, handover), start=1):
        end = cursor + timedelta(weeks=weeks)
        phases.append(PlannedPhase(number, cursor, end))
        cursor = end
    return phases


def weeks(value: float) -> str:
    """Weeks as people say them: 8, 3.3 — one decimal, none when whole."""
    rounded = round(value, 1)
    return f"{rounded:g}" if rounded == int(rounded) else f"{rounded:.1f}"


def share_text(share: float) -> str:
    """A share as a whole percentage, with a decimal where rounding would land on a bound
    of the 15–20% norm (14.8% must not read "15%" beside "budget 15–20%")."""
    text = f"{share:.0%}"
    bounds = {round(b * 100) for b in HANDOVER_SHARE}
    outside = not HANDOVER_SHARE[0] <= share <= HANDOVER_SHARE[1]
    return f"{share:.1%}" if outside and round(share * 100) in bounds else text


def plan_warnings(
    phases: Sequence[PhasePlan],
    milestones: Mapping[int, Sequence[MilestonePlan]] | None = None,
) -> list[str]:
    """Where a plan breaks the guide's norms (R01, R02, R05, R06, R19 on development and
    handover) or leaves a gap between phases, in words a CTO can act on. Cancelled phases are
    not part of the plan any more.

    `milestones` (phase number → its milestones) adds the milestone norms (R04, R25, R27,
    `milestone_warnings`); None means the caller did not load them, so they are not judged.
    """
    phases = [p for p in phases if getattr(p, "status", "") != "cancelled"]
    by_number = {p.number: p for p in phases}
    warnings = []
    poc, handover = by_number.get(1), by_number.get(3)
    if poc and not POC_WEEKS[0] <= poc.planned_weeks <= POC_WEEKS[1]:
        warnings.append(
            f"Discovery & PoC is planned for {weeks(poc.planned_weeks)} weeks; the guide expects "
            f"{POC_WEEKS[0]}–{POC_WEEKS[1]} weeks."
        )
    if poc and poc.billing_model == BillingModel.FIXED_PRICE:
        warnings.append(
            "Discovery & PoC is billed at a fixed price; bill it as time & materials — nobody "
            "can price an experiment before seeing the data."
        )
    for number, name in ((2, "Development & Iteration"), (3, "Transition & Handover")):
        phase = by_number.get(number)
        if phase and phase.billing_model == BillingModel.FIXED_PRICE:
            warnings.append(
                f"{name} is billed at a fixed price; the guide asks for a dedicated team — the "
                "path from data to a working model is rarely a straight line, and a rigid "
                "fixed price is one of its red flags."
            )
    if handover:
        if not HANDOVER_WEEKS[0] <= handover.planned_weeks <= HANDOVER_WEEKS[1]:
            warnings.append(
                f"Transition & Handover is planned for {weeks(handover.planned_weeks)} weeks; the "
                "guide "
                f"expects {HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks."
            )
        total = sum(p.planned_weeks for p in phases)
        share = handover.planned_weeks / total if total else 0
        if total and share < HANDOVER_SHARE[0]:
            warnings.append(
                f"Handover is {share_text(share)} of total project time; budget 15–20% so your "
                "team can take over."
            )
        elif total and share > HANDOVER_SHARE[1]:
            warnings.append(
                f"Handover is {share_text(share)} of total project time; the guide budgets "
                "15–20% — check that development is not being finished during the handover."
            )
    ordered = sorted(phases, key=lambda p: p.number)
    for earlier, later in pairwise(ordered):
        gap = (later.planned_start - earlier.planned_end).days
        if gap > 0:
            warnings.append(
                f"There {'is' if gap == 1 else 'are'} {gap} day{'s' if gap != 1 else ''} between "
                f"phase {earlier.number} and phase {later.number} in which nothing is planned; "
                "close the gap or say why in the plan."
            )
    if milestones is not None:
        warnings += milestone_warnings(phases, milestones)
    return warnings


def kpi_warnings(kpis) -> list[str]:
    """KPIs whose target is worse than their baseline: usually a typo, or a direction flipped
    ("manual tickets" should fall, not rise)."""
    warnings = []
    for kpi in kpis:
        if kpi.baseline is None or kpi.target is None or kpi.baseline == kpi.target:
            continue
        worse = kpi.target < kpi.baseline if kpi.higher_is_better else kpi.target > kpi.baseline
        if worse:
            direction = "rise" if kpi.higher_is_better else "fall"
            warnings.append(
                f"KPI “{kpi.name}”: the target is worse than the baseline for a metric that "
                f"should {direction}; check the figures or the direction."
            )
    return warnings
