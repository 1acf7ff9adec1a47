"""Geometry for the server-side SVG phase timeline, drawn the same in the page and the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .models import Phase, PhaseStatus

WIDTH, LEFT, RIGHT, ROW, TOP = 720, 176, 12, 36, 26


@dataclass(frozen=True)
class Bar:
    label: str
    status: str
    start: date
    end: date
    x: float
    y: float
    width: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    today_x: float | None


def bar_end(phase: Phase) -> date:
    """A stopped phase ends where it stopped; the others where they are planned to."""
    return phase.actual_end if phase.status == PhaseStatus.STOPPED else phase.planned_end


def phase_timeline(phases: list[Phase], today: date) -> Timeline:
    """Bars for each phase's planned span, month ticks, and a marker for today. After a
    No-Go the timeline ends at the stop: cancelled phases are not drawn."""
    phases = [p for p in phases if p.status != PhaseStatus.CANCELLED]
    start = min(p.planned_start for p in phases)
    end = max(bar_end(p) for p in phases)
    days = max((end - start).days, 1)
    span = WIDTH - LEFT - RIGHT

    def x_of(day: date) -> float:
        return round(LEFT + span * (day - start).days / days, 1)

    bars = [
        Bar(
            label=p.name,
            status=p.status,
            start=p.planned_start,
            end=bar_end(p),
            x=x_of(p.planned_start),
            y=TOP + i * ROW,
            width=max(x_of(bar_end(p)) - x_of(p.planned_start), 2),
        )
        for i, p in enumerate(phases)
    ]
    ticks, month = [], date(start.year, start.month, 1)
    step = max(1, round(days / 30 / 8))  # about eight labels whatever the length
    while month <= end:
        if month >= start and x_of(month) <= WIDTH - 48:  # room for the label
            ticks.append(Tick(x_of(month), month.strftime("%b %Y")))
        total = month.month - 1 + step
        month = date(month.year + total // 12, total % 12 + 1, 1)
    today_x = x_of(today) if start <= today <= end else None
    return Timeline(WIDTH, TOP + ROW * len(phases) + 8, bars, ticks, today_x)
