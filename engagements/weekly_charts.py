"""Geometry for the server-side SVG trend of each reported metric against its target, drawn the
same in the page and in a PDF: evaluations on the client's hold-out set and on data the vendor
controls are two series (solid and dashed, round and square markers), so they stay apart
without colour. A week in which the metric was not reported at all (a missing week, an
hours-only week) breaks the lines there: they never bridge a week nobody measured."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from .models import DataHolder
from .models.weekly import week_label

WIDTH, HEIGHT = 640, 230
LEFT, RIGHT, TOP, BOTTOM = 64, 72, 40, 28
# Each holder's look: line dash pattern and marker, so print in grey still tells them apart.
LOOK = {
    DataHolder.CLIENT: {"dash": "", "marker": "circle", "colour": "#2b6cb0"},
    DataHolder.VENDOR: {"dash": "7 4", "marker": "square", "colour": "#9c4221"},
}
TARGET_DASH, TARGET_COLOUR = "2 3", "#276749"


END_LABEL_GAP = 13  # px between the baselines of two end labels (11 px text)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    week: str
    value: Decimal


@dataclass(frozen=True)
class Series:
    held_by: str
    label: str
    dash: str
    marker: str
    colour: str
    points: tuple[Point, ...]
    # Runs of points the line joins: a new run starts after a week without the metric.
    runs: tuple[tuple[Point, ...], ...] = ()

    @property
    def polylines(self) -> list[str]:
        """The `points` attribute of each SVG polyline, one per run (a run of one point draws
        no line: its marker stands alone)."""
        return [" ".join(f"{p.x},{p.y}" for p in run) for run in self.runs]

    @property
    def latest(self) -> Point:
        return self.points[-1]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Trend:
    name: str
    width: int
    height: int
    series: tuple[Series, ...]
    target: Decimal | None
    target_y: float | None
    higher_is_better: bool
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    title: str
    plot: tuple[float, float, float, float]  # left, top, right, bottom

    @property
    def end_labels(self) -> list[tuple[Series, float]]:
        """Where each series' latest value is written: level with its last point, moved apart
        so that two labels never overlap when the lines end close together."""
        placed: list[tuple[Series, float]] = []
        for series in sorted(self.series, key=lambda s: s.latest.y):
            y = series.latest.y + 4  # the text's baseline, centred on the point
            if placed and y - placed[-1][1] < END_LABEL_GAP:
                y = round(placed[-1][1] + END_LABEL_GAP, 1)
            placed.append((series, y))
        return placed

    @property
    def latest_values(self) -> dict[str, Decimal]:
        return {s.held_by: s.latest.value for s in self.series}


def figure(value: Decimal) -> str:
    """0.8700 → 0.87, 1200.0000 → 1,200."""
    value = Decimal(value).normalize()
    if value == value.to_integral():
        return f"{value:,.0f}"
    return f"{value:,f}"


def metric_trend(
    name: str,
    observations: Iterable[tuple[int, int, str, Decimal]],
    target: Decimal | None = None,
    higher_is_better: bool = True,
) -> Trend:
    """One metric's chart from (year, week, held by, value) observations, one per week and
    holder; `target` draws a horizontal line (None: no target line)."""
    by_holder: dict[str, list[tuple[date, int, int, Decimal]]] = {}
    for year, week, held_by, value in observations:
        monday = date.fromisocalendar(year, week, 1)
        by_holder.setdefault(held_by, []).append((monday, year, week, Decimal(value)))
    mondays = [row[0] for rows in by_holder.values() for row in rows]
    values = [row[3] for rows in by_holder.values() for row in rows]
    if not mondays:
        raise ValueError(f"no observations of {name}")
    first, last = min(mondays), max(mondays)
    low, high = (
        min([*values, *([target] if target is not None else [])]),
        max([*values, *([target] if target is not None else [])]),
    )
    pad = (high - low) / 10 if high != low else (abs(high) / 10 or Decimal(1))
    low, high = low - pad, high + pad
    ticks = nice_ticks(low, high)
    low = ticks[0]  # the axis starts at a gridline: no point sits below the lowest one
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    days = (last - first).days

    def x_of(monday: date) -> float:
        if days == 0:
            return round((left + right) / 2, 1)
        return round(left + (right - left) * (monday - first).days / days, 1)

    def y_of(value: Decimal) -> float:
        return round(float(bottom - (bottom - top) * (value - low) / (high - low)), 1)

    measured = set(mondays)  # the weeks the metric was reported, on anyone's data
    series = []
    for held_by in (DataHolder.CLIENT, DataHolder.VENDOR):
        rows = sorted(by_holder.get(held_by, []))
        if not rows:
            continue
        look = LOOK[held_by]
        points = tuple(
            Point(x_of(monday), y_of(value), week_label(year, week), value)
            for monday, year, week, value in rows
        )
        runs: list[list[Point]] = []
        previous = None
        for (monday, *_), point in zip(rows, points, strict=True):
            if previous is None or _gap_between(previous, monday, measured):
                runs.append([])
            runs[-1].append(point)
            previous = monday
        series.append(
            Series(
                held_by,
                DataHolder(held_by).label,
                look["dash"],
                look["marker"],
                look["colour"],
                points,
                tuple(tuple(run) for run in runs),
            )
        )
    y_ticks = tuple(Tick(y_of(value), figure(value)) for value in ticks)
    x_ticks = (Tick(x_of(first), week_label(*first.isocalendar()[:2])),)
    if last != first:
        x_ticks += (Tick(x_of(last), week_label(*last.isocalendar()[:2])),)
    target_y = y_of(target) if target is not None else None
    return Trend(
        name=name,
        width=WIDTH,
        height=HEIGHT,
        series=tuple(series),
        target=target,
        target_y=target_y,
        higher_is_better=higher_is_better,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        title=_title(name, series, target, higher_is_better),
        plot=(left, top, right, bottom),
    )


def _gap_between(before: date, after: date, measured: set[date]) -> bool:
    """Whether a week between two of a series' weeks has no value of the metric at all (a
    week the other data holder alone was measured in is no gap: a series may be sparser)."""
    monday = before + timedelta(weeks=1)
    while monday < after:
        if monday not in measured:
            return True
        monday += timedelta(weeks=1)
    return False


def nice_ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    """Round values for the axis from the first at or below `low` up to `high`, about `count`
    of them, a step of 1, 2 or 5 times a power of ten (0.05, 0.1, 20…)."""
    raw = (high - low) / count
    exponent = raw.adjusted()
    step = next(
        Decimal(m).scaleb(exponent) for m in (1, 2, 5, 10) if Decimal(m).scaleb(exponent) >= raw
    )
    value = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    ticks = []
    while value <= high:
        ticks.append(value)
        value += step
    return ticks


def _title(name: str, series: list[Series], target, higher_is_better: bool) -> str:
    latest = "; ".join(
        f"{s.label}: latest {figure(s.latest.value)} in {s.latest.week}"
        f" ({len(s.points)} week{'s' if len(s.points) != 1 else ''})"
        for s in series
    )
    if target is None:
        goal = "no target set"
    else:
        goal = f"target {figure(target)}, {'higher' if higher_is_better else 'lower'} is better"
    return f"{name} by week. {latest}; {goal}."


def metric_trends(rows: Iterable[tuple[int, int, str, str, Decimal]], kpis) -> list[Trend]:
    """A trend per metric name (case-insensitive) from (year, week, name, held by, value) rows
    of current reports; each against the technical KPI of the same name, if there is one."""
    from .models import KpiKind

    targets = {k.name.strip().casefold(): k for k in kpis if k.kind == KpiKind.TECHNICAL}
    grouped: dict[str, list] = {}
    names: dict[str, str] = {}
    for year, week, name, held_by, value in rows:
        key = name.strip().casefold()
        grouped.setdefault(key, []).append((year, week, held_by, value))
        names[key] = name.strip()
    trends = []
    for key in sorted(grouped):
        kpi = targets.get(key)
        trends.append(
            metric_trend(
                kpi.name if kpi else names[key],
                grouped[key],
                target=kpi.target if kpi else None,
                higher_is_better=kpi.higher_is_better if kpi else True,
            )
        )
    return trends
