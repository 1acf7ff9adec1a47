"""Reading weekly reports: ISO-week arithmetic, the weeks nobody reported, the names metrics
go by, and the overview an engagement's page (and, next, its gates) reads — in a constant
number of queries whatever the number of reports. The writing side is `weekly_reports`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .enums import EngagementStatus
from .models import Engagement, Kpi, KpiKind, ReportMetric, WeeklyReport
from .models.weekly import week_label

# --- Weeks --------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def reporting_end(engagement: Engagement) -> date | None:
    """The last day a finished engagement needed reports for (reads the prefetched phases);
    None while it runs."""
    if engagement.status not in (EngagementStatus.COMPLETED, EngagementStatus.STOPPED):
        return None
    ends = [p.actual_end for p in engagement.phase_list if p.actual_end]
    return max(ends) if ends else None


def missing_weeks(
    start: date, reported: set[tuple[int, int]], today: date, end: date | None = None
) -> list[tuple[int, int]]:
    """The ISO weeks from the one the engagement started in up to the last complete week
    (or the week it ended) with no report: never a week before the start, never the current
    week (it is not over) nor a future one."""
    last = monday_of(today) - timedelta(weeks=1)
    if end is not None:
        last = min(last, monday_of(end))
    weeks, monday = [], monday_of(start)
    while monday <= last:
        if iso_week(monday) not in reported:
            weeks.append(iso_week(monday))
        monday += timedelta(weeks=1)
    return weeks


def week_ranges(weeks: list[tuple[int, int]]) -> list[str]:
    """Consecutive weeks folded into ranges: ["2026-W03", "2026-W07 – 2026-W09"]."""
    ranges: list[list[date]] = []
    for year, week in weeks:
        monday = date.fromisocalendar(year, week, 1)
        if ranges and monday - ranges[-1][1] == timedelta(weeks=1):
            ranges[-1][1] = monday
        else:
            ranges.append([monday, monday])
    labels = []
    for first, last in ranges:
        a, b = week_label(*iso_week(first)), week_label(*iso_week(last))
        labels.append(a if a == b else f"{a} – {b}")
    return labels


# --- Reading ------------------------------------------------------------------------------


def metric_names(engagement: Engagement, membership) -> list[str]:
    """What the form suggests as a metric's name: the engagement's technical KPIs (a metric of
    the same name is charted against the KPI's target), then the names reported before, each
    once whatever its case."""
    kpis = (
        Kpi.objects.restrict(membership)
        .filter(engagement=engagement, kind=KpiKind.TECHNICAL)
        .order_by("name")
        .values_list("name", flat=True)
    )
    reported = (
        ReportMetric.objects.restrict(membership)
        .filter(report__engagement=engagement)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    names: dict[str, str] = {}
    for name in [*kpis, *reported]:
        names.setdefault(name.strip().casefold(), name.strip())
    return list(names.values())


@dataclass
class Overview:
    """What the engagement page and the reports list show: the current reports (newest
    first, flagged), the weeks missing, and a trend per metric."""

    reports: list[WeeklyReport]
    missing: list[tuple[int, int]]
    trends: list

    @property
    def latest(self) -> WeeklyReport | None:
        return self.reports[0] if self.reports else None

    @property
    def hours_only(self) -> list[WeeklyReport]:
        return [r for r in self.reports if r.hours_only]

    @property
    def missing_ranges(self) -> list[str]:
        return week_ranges(self.missing)


def overview(engagement: Engagement, membership, today: date) -> Overview:
    """Two queries whatever the number of reports: the current reports (with whether each has
    metrics or experiments) and their metrics. KPIs and phases come from the engagement's
    prefetched rows."""
    from .weekly_charts import metric_trends

    reports = list(
        WeeklyReport.objects.restrict(membership)
        .current()
        .filter(engagement=engagement)
        .with_evidence()
        .select_related("submitted_by")
    )
    rows = (
        ReportMetric.objects.restrict(membership)
        .filter(report__engagement=engagement, report__is_current=True)
        .order_by("report__year", "report__week", "id")
        .values_list("report__year", "report__week", "name", "held_by", "value")
    )
    reported = {(r.year, r.week) for r in reports}
    missing = missing_weeks(engagement.start_date, reported, today, reporting_end(engagement))
    return Overview(reports, missing, metric_trends(rows, engagement.kpis.all()))
