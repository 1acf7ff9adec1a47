"""An engagement's health (red / amber / green), computed from its state, never typed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .models import Engagement, EngagementStatus
from .planning import plan_warnings

SLIP_RED_DAYS = 14


@dataclass(frozen=True)
class Health:
    colour: str  # "green" | "amber" | "red"
    reasons: list[str] = field(default_factory=list)  # the engagement's state
    warnings: list[str] = field(default_factory=list)  # where the plan breaks the norms

    @property
    def explanation(self) -> list[str]:
        """Everything behind the colour, for a tooltip or a PDF."""
        return self.reasons + [f"Plan: {warning}" for warning in self.warnings]

    @property
    def label(self) -> str:
        return self.colour.capitalize()


def prefetched_milestones(engagement: Engagement) -> dict[int, list] | None:
    """The engagement's milestones by phase number, when the query prefetched them
    (`for_portfolio`, `with_plan`); None otherwise, so the milestone norms are skipped rather
    than costing a query per row."""
    cache = getattr(engagement, "_prefetched_objects_cache", {})
    if "milestones" not in cache:
        return None
    numbers = {phase.pk: phase.number for phase in engagement.phase_list}
    grouped: dict[int, list] = {}
    for milestone in cache["milestones"]:
        grouped.setdefault(numbers.get(milestone.phase_id, 0), []).append(milestone)
    return grouped


def engagement_health(engagement: Engagement, today: date) -> Health:
    """Red when stopped or the current phase is over two weeks late; amber when on hold, late
    at all, or when the plan breaks the guide's norms; green otherwise. Reads prefetched
    phases only."""
    if engagement.status == EngagementStatus.STOPPED:
        return Health("red", ["Stopped by a No-Go decision."])
    if engagement.status == EngagementStatus.COMPLETED:
        return Health("green", ["Completed: handed over."])
    reasons, colour = [], "green"
    if engagement.status == EngagementStatus.PLANNED:
        reasons.append(f"Starts on {engagement.start_date:%-d %b %Y}.")
    if engagement.status == EngagementStatus.ON_HOLD:
        colour = "amber"
        reasons.append("On hold at a gate.")
    phase = engagement.current_phase
    if phase and today > phase.planned_end:
        late = (today - phase.planned_end).days
        colour = "red" if late > SLIP_RED_DAYS else "amber"
        reasons.append(
            f"{phase.name} is {late} days past its planned end; gate {phase.number} is due."
        )
    warnings = plan_warnings(engagement.phase_list, prefetched_milestones(engagement))
    if warnings and colour == "green":
        colour = "amber"  # a board must not read "Green" beside a 14-week fixed-price PoC
    return Health(colour, reasons, warnings)
