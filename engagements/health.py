"""An engagement's health (red / amber / green), computed from its state, never typed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .models import Engagement, EngagementStatus

SLIP_RED_DAYS = 14


@dataclass(frozen=True)
class Health:
    colour: str  # "green" | "amber" | "red"
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.colour.capitalize()


def engagement_health(engagement: Engagement, today: date) -> Health:
    """Red when stopped or the current phase is over two weeks late; amber when on hold or
    late at all; green otherwise. Reads prefetched phases only."""
    if engagement.status == EngagementStatus.STOPPED:
        return Health("red", ["Stopped by a No-Go decision."])
    if engagement.status == EngagementStatus.COMPLETED:
        return Health("green", ["Completed: handed over."])
    if engagement.status == EngagementStatus.PLANNED:
        return Health("green", [f"Starts on {engagement.start_date:%-d %b %Y}."])
    reasons, colour = [], "green"
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
    return Health(colour, reasons)
