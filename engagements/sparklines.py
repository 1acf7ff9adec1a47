"""The portfolio's KPI sparklines: the client-held readings of an engagement's first technical
KPI over the last `SPARK_WEEKS` weeks, with its target line, as a 120 × 28 server-side SVG
(geometry here; the markup in `templates/engagements/portfolio/_rows.html`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .facts import Reading

SPARK_WEEKS = 26


@dataclass(frozen=True)
class Spark:
    """A KPI's recent trend as a 120 × 28 sparkline: its polyline, the target's height, and a
    text alternative (the chart is decoration for sighted readers of that sentence)."""

    # Coordinates as text: printed as they are, never through the template's number
    # formatting (which would localise "12.5" and costs a call per number).
    points: str
    target_y: str  # "" without a target
    last_x: str
    last_y: str
    label: str
    met: bool | None  # the latest reading meets the target (None: no target)


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 28, 3


def sparkline(
    readings: Iterable[Reading],
    since: date,
    *,
    name: str,
    target: Decimal | None,
    higher_is_better: bool = True,
) -> Spark | None:
    """The readings (oldest first) placed by week across the `SPARK_WEEKS` weeks from
    `since`, with the target line in the same scale; None without readings."""
    readings = list(readings)
    if not readings:
        return None
    values = [r.value for r in readings]
    low = min([*values, *([target] if target is not None else [])])
    high = max([*values, *([target] if target is not None else [])])
    span = float(high - low) or 1.0
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
    weeks = SPARK_WEEKS - 1

    def x_of(reading: Reading) -> float:
        offset = min(max((reading.monday - since).days / 7, 0), weeks)
        return round(SPARK_PAD + inner_w * offset / weeks, 1)

    def y_of(value: Decimal) -> float:
        return round(SPARK_PAD + inner_h * (1 - float(value - low) / span), 1)

    coords = [(x_of(r), y_of(r.value)) for r in readings]
    latest = values[-1]
    met = None
    if target is not None:
        met = latest >= target if higher_is_better else latest <= target
    words = f"{name}: latest {_figure(latest)} on client data"
    if target is not None:
        sign = "≥" if higher_is_better else "≤"
        words += f", target {sign} {_figure(target)} ({'met' if met else 'not met'})"
    words += f"; {len(readings)} reading{'s' if len(readings) != 1 else ''} in {SPARK_WEEKS} weeks"
    return Spark(
        points=" ".join(f"{x},{y}" for x, y in coords),
        target_y=str(y_of(target)) if target is not None else "",
        last_x=str(coords[-1][0]),
        last_y=str(coords[-1][1]),
        label=words,
        met=met,
    )


def _figure(value: Decimal) -> str:
    normalised = Decimal(value).normalize()
    if normalised == normalised.to_integral():
        return f"{normalised:,.0f}"
    return f"{normalised:,f}"


def spark_since(today: date) -> date:
    """The Monday SPARK_WEEKS − 1 weeks before this week's: the sparkline's first week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=SPARK_WEEKS - 1)
