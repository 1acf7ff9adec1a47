"""The portfolio's KPI sparklines: the client-held readings of an engagement's first technical
KPI over the last `SPARK_WEEKS` weeks, with its target line, as a 120 × 28 server-side SVG
(geometry here; the markup in `templates/engagements/portfolio/_table.html`).

The readings are not read per page: `health.refresh_health` stores each engagement's trend
(`stored_trend`, from the facts it already loads) in `Engagement.kpi_trend`, and the portfolio
draws from that (`stored_sparkline`). Plain functions, no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from .facts import Facts, Reading
from .models import DataHolder

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
    xs = [_x((r.monday - since).days / 7) for r in readings]
    values = [float(r.value) for r in readings]
    return _spark(xs, values, readings[-1].value, name, target, higher_is_better)


_INNER_W, _INNER_H = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
_WEEKS = SPARK_WEEKS - 1


def _x(offset: float) -> str:
    """The x of a reading `offset` weeks after the first week, as printed."""
    return f"{SPARK_PAD + _INNER_W * min(max(offset, 0), _WEEKS) / _WEEKS:.1f}"


@lru_cache(maxsize=8)
def _week_xs(since: date) -> dict[tuple[int, int], str]:
    """{(ISO year, week): x} for the `SPARK_WEEKS` weeks from `since`: a page's sparklines
    share their weeks, so each point is placed by one lookup."""
    return {
        tuple((since + timedelta(weeks=n)).isocalendar()[:2]): _x(n) for n in range(SPARK_WEEKS)
    }


def _spark(
    xs: list[str],
    values: list[float],
    latest: Decimal,
    name: str,
    target: Decimal | None,
    higher_is_better: bool,
) -> Spark:
    """The geometry of readings (their x as printed, their values; oldest first) and the
    words for the latest of them. Floats and one format per point: a page draws 50."""
    scaled = [*values, float(target)] if target is not None else values
    low = min(scaled)
    scale_y = _INNER_H / ((max(scaled) - low) or 1.0)
    top = SPARK_PAD + _INNER_H
    ys = [f"{top - scale_y * (value - low):.1f}" for value in values]
    met = None
    words = f"{name}: latest {_figure(latest)} on client data"
    if target is not None:
        met = latest >= target if higher_is_better else latest <= target
        sign = "≥" if higher_is_better else "≤"
        words += f", target {sign} {_figure(target)} ({'met' if met else 'not met'})"
    count = len(values)
    words += f"; {count} reading{'s' if count != 1 else ''} in {SPARK_WEEKS} weeks"
    return Spark(
        points=" ".join([f"{x},{y}" for x, y in zip(xs, ys, strict=True)]),
        target_y=f"{top - scale_y * (float(target) - low):.1f}" if target is not None else "",
        last_x=xs[-1],
        last_y=ys[-1],
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


# --- The stored trend ----------------------------------------------------------------------


def stored_trend(facts: Facts, since: date) -> dict:
    """What `Engagement.kpi_trend` holds: the first technical KPI (by id, as `load_facts`
    orders them) and its client-held readings from the week of `since` (a Monday,
    `spark_since`) on, oldest first: {"kpi": name, "unit": …, "target": "0.85" | None,
    "higher_is_better": bool, "points": [[year, week, "0.81"], …]}; {} without a technical
    KPI. Figures as text, so the JSON keeps them exact."""
    if not facts.technical_kpis:
        return {}
    kpi = facts.technical_kpis[0]
    points = [
        [r.year, r.week, str(r.value)]
        for r in facts.readings_of(kpi, (DataHolder.CLIENT,))
        if r.monday >= since
    ]
    return {
        "kpi": kpi.name,
        "unit": kpi.unit,
        "target": None if kpi.target is None else str(kpi.target),
        "higher_is_better": kpi.higher_is_better,
        "points": points,
    }


def stored_sparkline(trend: dict, since: date) -> Spark | None:
    """The sparkline of a stored trend (`stored_trend`) across the `SPARK_WEEKS` weeks from
    `since` (points of weeks before it, stored before the hourly refresh caught up, are left
    out)."""
    points = trend.get("points") if trend else None
    if not points:
        return None
    week_xs = _week_xs(since)
    xs, values, latest = [], [], None
    for year, week, value in points:
        x = week_xs.get((year, week))
        if x is not None:
            xs.append(x)
            values.append(float(value))
            latest = value
    if not xs:
        return None
    target = trend.get("target")
    return _spark(
        xs,
        values,
        Decimal(latest),
        trend.get("kpi", ""),
        None if target is None else Decimal(target),
        trend.get("higher_is_better", True),
    )
