"""What the engagement's own data says, read once for any number of engagements: the
evidence that gate criteria (`criteria.py`), the risk radar (`risks.py`), health and the
portfolio compute from.

`load_facts(engagements, today, with_money=…)` runs a fixed number of queries whatever the
number of engagements or of their weekly reports, and reads rows for the engagements it is
given — the caller has already restricted them (`Engagement.objects.restrict(membership)`)
and prefetched their phases. What a reader may not see is not loaded: `with_money=False` is
a reader outside the company's deliberation (vendor contacts), whose facts carry no spend, no
budget, no change-request money and no plan baseline (a Go's approved plan has no vendor path:
`PlanBaseline` is read here as `restrict` would read it for them, not at all).

Everything here is plain data; the rules that read it are plain functions elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Sum

from .enums import ConditionStatus, KpiKind
from .models import (
    ChangeRequest,
    ChecklistItem,
    Engagement,
    Experiment,
    GateCondition,
    Invoice,
    Kpi,
    Milestone,
    PlanBaseline,
    ReportMetric,
    WeeklyReport,
)
from .models.weekly import is_hours_only
from .weekly_overview import missing_weeks, reporting_end


@dataclass(frozen=True)
class Reading:
    """One evaluation of a technical KPI, from a weekly report."""

    kpi_id: int
    value: Decimal
    held_by: str  # DataHolder: "client" | "vendor"
    year: int
    week: int
    report_id: int

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)


@dataclass(frozen=True)
class ReportWeek:
    year: int
    week: int
    hours_only: bool
    report_id: int


@dataclass
class Facts:
    """One engagement's evidence. `engagement` carries its prefetched phases."""

    engagement: Engagement
    today: date
    technical_kpis: list = field(default_factory=list)  # Kpi rows
    business_kpis: list = field(default_factory=list)  # Kpi rows (gate 1: KPIs defined)
    readings: list[Reading] = field(default_factory=list)  # oldest first
    checklist: list = field(default_factory=list)  # ChecklistItem rows (key, list, status…)
    change_requests: list = field(default_factory=list)  # ChangeRequest rows
    reports: list[ReportWeek] = field(default_factory=list)  # current versions, oldest first
    missing_weeks: list[tuple[int, int]] = field(default_factory=list)
    milestones: list = field(default_factory=list)  # Milestone rows (phase number annotated)
    open_conditions: list = field(default_factory=list)  # GateCondition rows, due first
    baseline: PlanBaseline | None = None  # the last approved plan (None: not loaded)
    spent: Decimal | None = None  # None: not loaded for this reader

    def readings_of(self, kpi, held_by: Iterable[str] | None = None) -> list[Reading]:
        holders = set(held_by) if held_by is not None else None
        return [
            r
            for r in self.readings
            if r.kpi_id == kpi.pk and (holders is None or r.held_by in holders)
        ]

    def latest_reading(self, kpi, held_by: Iterable[str] | None = None) -> Reading | None:
        readings = self.readings_of(kpi, held_by)
        return readings[-1] if readings else None

    def checklist_item(self, key: str):
        return next((item for item in self.checklist if item.key == key), None)


def load_facts(
    engagements: Iterable[Engagement],
    today: date,
    *,
    with_money: bool,
    readings_since: date | None = None,
) -> dict[int, Facts]:
    """{engagement id: Facts} in at most ten queries. `readings_since` leaves out older KPI
    readings (the portfolio's sparkline needs a few months, a gate needs them all).
    `with_money=False`: a reader outside the company's deliberation (see the module's
    docstring): no spend, no change-request money, no baseline."""
    engagements = list(engagements)
    facts = {e.pk: Facts(e, today) for e in engagements}
    ids = list(facts)
    if not ids:
        return facts

    kpis = Kpi.objects.filter(engagement_id__in=ids).order_by("id")
    kpi_by_name: dict[tuple[int, str], int] = {}
    for kpi in kpis:
        if kpi.kind != KpiKind.TECHNICAL:
            facts[kpi.engagement_id].business_kpis.append(kpi)
            continue
        facts[kpi.engagement_id].technical_kpis.append(kpi)
        kpi_by_name.setdefault((kpi.engagement_id, kpi.name.strip().casefold()), kpi.pk)

    if kpi_by_name:
        metrics = ReportMetric.objects.filter(
            report__engagement_id__in=ids, report__is_current=True
        ).filter(
            Exists(
                Kpi.objects.filter(
                    engagement_id=OuterRef("report__engagement_id"),
                    kind=KpiKind.TECHNICAL,
                    name__iexact=OuterRef("name"),
                )
            )
        )
        if readings_since is not None:
            since = readings_since.isocalendar()
            metrics = metrics.filter(report__year__gte=since.year)
        rows = metrics.order_by("report__year", "report__week", "id").values_list(
            "report__engagement_id",
            "name",
            "value",
            "held_by",
            "report__year",
            "report__week",
            "report_id",
        )
        for engagement_id, name, value, held_by, year, week, report_id in rows:
            kpi_id = kpi_by_name.get((engagement_id, name.strip().casefold()))
            if kpi_id is None:
                continue
            reading = Reading(kpi_id, value, held_by, year, week, report_id)
            if readings_since is None or reading.monday >= readings_since - timedelta(days=6):
                facts[engagement_id].readings.append(reading)

    for item in ChecklistItem.objects.filter(engagement_id__in=ids).only(
        "id", "engagement_id", "checklist", "key", "title", "status", "position"
    ):
        facts[item.engagement_id].checklist.append(item)

    change_fields = ["id", "engagement_id", "title", "status", "created_at", "impact_weeks"]
    if with_money:
        change_fields.append("impact_money")
    for change in ChangeRequest.objects.filter(engagement_id__in=ids).only(*change_fields):
        facts[change.engagement_id].change_requests.append(change)

    reports = (
        WeeklyReport.objects.filter(engagement_id__in=ids, is_current=True)
        .annotate(
            has_metrics=Exists(ReportMetric.objects.filter(report=OuterRef("pk"))),
            has_experiments=Exists(Experiment.objects.filter(report=OuterRef("pk"))),
        )
        .order_by("year", "week")
        # Tuples, not instances: a year of reports for each of 1,000 engagements.
        .values_list(
            "engagement_id",
            "year",
            "week",
            "hours",
            "data_quality_score",
            "has_metrics",
            "has_experiments",
            "id",
        )
    )
    for engagement_id, year, week, hours, quality, metrics, experiments, pk in reports:
        hours_only = is_hours_only(hours, quality, metrics, experiments)
        facts[engagement_id].reports.append(ReportWeek(year, week, hours_only, pk))

    for milestone in (
        Milestone.objects.filter(engagement_id__in=ids)
        .select_related(None)
        .only("id", "engagement_id", "phase_id", "title", "due_date", "status")
        .order_by("due_date", "id")
    ):
        facts[milestone.engagement_id].milestones.append(milestone)

    for condition in GateCondition.objects.filter(
        engagement_id__in=ids, status=ConditionStatus.OPEN
    ).select_related("owner", "decision__gate"):
        facts[condition.engagement_id].open_conditions.append(condition)

    if with_money:
        baselines = PlanBaseline.objects.filter(engagement_id__in=ids).order_by("approved_on", "id")
        for baseline in baselines:
            facts[baseline.engagement_id].baseline = baseline  # the last one wins

    if with_money:
        spent = (
            Invoice.objects.filter(engagement_id__in=ids)
            .order_by()
            .values("engagement_id")
            .annotate(total=Sum("amount"))
        )
        for engagement_id in ids:
            facts[engagement_id].spent = Decimal(0)
        for row in spent:
            facts[row["engagement_id"]].spent = row["total"]

    for item in facts.values():
        engagement = item.engagement
        reported = {(r.year, r.week) for r in item.reports}
        if engagement.status != "planned":
            item.missing_weeks = missing_weeks(
                engagement.start_date, reported, today, reporting_end(engagement)
            )
    return facts


def facts_for(engagement: Engagement, today: date, *, with_money: bool) -> Facts:
    """One engagement's facts (its phases prefetched or not)."""
    return load_facts([engagement], today, with_money=with_money)[engagement.pk]


def age_in_days(moment: date | datetime, today: date) -> int:
    day = moment.date() if isinstance(moment, datetime) else moment
    return (today - day).days
