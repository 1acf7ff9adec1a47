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
    anchor: str = "start"  # the last label ends at its tick when it would run off the chart


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    today_x: float | None
    today_anchor: str = "start"  # the label ends at the marker when it would run off the chart


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
    ticks = month_ticks(start, end, x_of)
    today_x = x_of(today) if start <= today <= end else None
    near_edge = today_x is not None and today_x + 36 > WIDTH - RIGHT
    height = TOP + ROW * len(phases) + 8
    return Timeline(WIDTH, height, bars, ticks, today_x, "end" if near_edge else "start")


LABEL_WIDTH = 52  # "Sep 2026" at 10 px, with a little air


def month_ticks(start: date, end: date, x_of) -> list[Tick]:
    """A tick per month from the first month to the last, both always labelled; the months
    between are thinned so that no two labels overlap, whatever the plan's length."""
    months, month = [start], date(start.year, start.month, 1)
    while True:
        total = month.month  # next month
        month = date(month.year + total // 12, total % 12 + 1, 1)
        if month > end:
            break
        months.append(month)
    first, last = months[0], months[-1]
    # A label near the right edge ends at its tick instead of starting there, so it needs
    # room on its left for itself as well as for its neighbour's label.
    last_anchor = "end" if x_of(last) + LABEL_WIDTH > WIDTH - RIGHT else "start"
    room_before_last = LABEL_WIDTH * (2 if last_anchor == "end" else 1)
    kept = [first]
    for month in months[1:-1]:
        clear_of_previous = x_of(month) - x_of(kept[-1]) >= LABEL_WIDTH
        clear_of_last = x_of(last) - x_of(month) >= room_before_last
        if clear_of_previous and clear_of_last:
            kept.append(month)
    if last != first:
        if x_of(last) - x_of(kept[-1]) < room_before_last and len(kept) > 1:
            kept.pop()  # the last month is the one that must show
        if x_of(last) - x_of(kept[-1]) >= room_before_last or len(kept) == 1:
            kept.append(last)
    ticks = [Tick(x_of(month), month.strftime("%b %Y")) for month in kept]
    if len(ticks) > 1 and last_anchor == "end":
        ticks[-1] = Tick(ticks[-1].x, ticks[-1].label, anchor="end")
    return ticks
