"""Demo weekly reports: up to a year of them per engagement, the way real vendors report. Most
weeks carry a data-quality score, the technical KPI's metric measured on the client's hold-out
set (and, every other week, on the vendor's own data, a little rosier), and an experiment or
two; some weeks log hours only (a weak habit the page flags), a few weeks are missing, and the
metric crosses its target along the way."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.roles import Role
from handover.bulk import insert_rows

from ..models import (
    DataHolder,
    Engagement,
    EngagementStatus,
    Experiment,
    ExperimentOutcome,
    Kpi,
    KpiKind,
    Phase,
    ReportMetric,
    ReportStatus,
    WeeklyReport,
)
from ..weekly_overview import iso_week, monday_of

MAX_WEEKS = 52
EXPERIMENTS = [
    ("Class weights lift recall on the rare classes", "Recall +4 points, precision −1", True),
    ("A larger pre-trained encoder beats the baseline", "+2 points, but latency doubled", False),
    ("Deduplicating near-identical records cleans the labels", "Label noise down a third", True),
    ("Features from the last 30 days of activity help", "No measurable gain", False),
    ("Threshold tuned per segment instead of globally", "+3 points on the hold-out set", True),
    ("Synthetic examples for the smallest classes", "Overfits: dropped", False),
    ("Calibrating scores with isotonic regression", "Better calibrated, same ranking", True),
]
SUMMARIES = [
    "Retrained on the latest export; evaluation on the client's hold-out set attached.",
    "Data validation pipeline now runs nightly in the client's repository.",
    "Error analysis on misclassified records; two labelling issues raised with the client.",
    "Pair-programming session with the client's ML engineer on the training pipeline.",
    "Model versioning and experiment tracking wired into CI.",
    "Drift monitoring dashboard drafted; thresholds to agree next week.",
]
HOURS_ONLY = "Team worked on the model and the pipeline this week."
MISSING_SHARE = 0.03  # a week without a report, now and then


def _value(kpi: Kpi, progress: float, rng: random.Random) -> Decimal:
    """From the baseline, past the target at about 80% of the way, with noise."""
    baseline = float(kpi.baseline if kpi.baseline is not None else kpi.target * Decimal("0.8"))
    target = float(kpi.target)
    value = baseline + (target - baseline) * progress * 1.25
    value += (target - baseline) * rng.uniform(-0.08, 0.08)
    if 0 <= baseline <= 1 and 0 <= target <= 1:  # a score (F1, precision): never above 1
        value = min(max(value, 0.0), 0.995)
    places = 3 if abs(target) < 10 else 1
    return Decimal(f"{value:.{places}f}")


def seed_weekly_reports(engagements: list[Engagement], members: dict, today: date) -> None:
    """Up to a year of weekly reports for each engagement that has started and has none yet
    (so running it twice adds nothing), written with bulk inserts. Only weeks the app itself
    accepts: from the week the engagement started up to the last complete week, or the week
    a finished engagement ended."""
    engagements = [e for e in engagements if e.start_date <= today]
    done = set(
        WeeklyReport.objects.filter(engagement__in=engagements).values_list(
            "engagement_id", flat=True
        )
    )
    engagements = [e for e in engagements if e.pk not in done]
    if not engagements:
        return
    author = members[Role.VENDOR].user
    kpis = {
        k.engagement_id: k
        for k in Kpi.objects.filter(engagement__in=engagements, kind=KpiKind.TECHNICAL)
    }
    ends: dict[int, date] = {}
    for phase in Phase.objects.filter(engagement__in=engagements, actual_end__isnull=False):
        ends[phase.engagement_id] = max(
            ends.get(phase.engagement_id, phase.actual_end), phase.actual_end
        )
    reports, metrics, experiments = [], [], []
    last_complete = monday_of(today) - timedelta(weeks=1)
    for index, engagement in enumerate(engagements):
        rng = random.Random(engagement.pk)  # noqa: S311  (demo figures, not secrets)
        last = last_complete
        if engagement.status in (EngagementStatus.COMPLETED, EngagementStatus.STOPPED):
            last = min(last, monday_of(ends.get(engagement.pk, today)))
        mondays = []
        monday = max(monday_of(engagement.start_date), last - timedelta(weeks=MAX_WEEKS - 1))
        while monday <= last:
            mondays.append(monday)
            monday += timedelta(weeks=1)
        weak_vendor = index % 7 == 3  # one engagement in seven often reports hours only
        kpi = kpis.get(engagement.pk)
        for i, monday in enumerate(mondays):
            if i and rng.random() < MISSING_SHARE:
                continue  # a missing week
            hours_only = rng.random() < (0.3 if weak_vendor else 0.03)
            progress = (i + 1) / len(mondays)
            status = ReportStatus.ON_SCHEDULE
            reason = ""
            roll = rng.random()
            if roll < 0.04:
                status, reason = ReportStatus.STUCK, "Waiting for the client's data export."
            elif roll < 0.15:
                status, reason = ReportStatus.BEHIND, "Labelling took longer than planned."
            year, week = iso_week(monday)
            # Sent on the week's Friday, or the day the engagement started if that is later:
            # never before the start, and (past weeks only) never in the future.
            sent_on = max(monday + timedelta(days=4), engagement.start_date)
            sent_at = timezone.make_aware(datetime.combine(sent_on, time(16, 30)))
            report = WeeklyReport(
                engagement=engagement,
                year=year,
                week=week,
                status=status,
                status_reason=reason,
                summary=HOURS_ONLY if hours_only else rng.choice(SUMMARIES),
                hours=Decimal(rng.randrange(60, 160)),
                data_quality_score=None
                if hours_only
                else Decimal(f"{min(99.5, 86 + 12 * progress + rng.uniform(-2, 2)):.1f}"),
                submitted_by=author,
                submitted_at=sent_at,
            )
            reports.append(report)
            if hours_only:
                continue
            if kpi is not None:
                metrics.append(
                    ReportMetric(
                        report=report,
                        name=kpi.name,
                        value=_value(kpi, progress, rng),
                        dataset_name="client hold-out set",
                        dataset_version=f"{monday:%Y-%m}",
                        held_by=DataHolder.CLIENT,
                    )
                )
                if i % 2 == 0:
                    rosier = _value(kpi, min(progress + 0.15, 1.1), rng)
                    metrics.append(
                        ReportMetric(
                            report=report,
                            name=kpi.name,
                            value=rosier,
                            dataset_name="vendor validation split",
                            dataset_version=f"v{i // 2 + 1}",
                            held_by=DataHolder.VENDOR,
                        )
                    )
            for hypothesis, result, kept in rng.sample(EXPERIMENTS, rng.randint(1, 2)):
                experiments.append(
                    Experiment(
                        report=report,
                        hypothesis=hypothesis,
                        result=result,
                        outcome=ExperimentOutcome.KEPT if kept else ExperimentOutcome.DROPPED,
                    )
                )
    WeeklyReport.objects.bulk_create(reports, batch_size=500)
    for row in (*metrics, *experiments):
        row.report_id = row.report.pk  # bulk_create filled the parents' ids
    insert_rows(metrics)  # handover.bulk: leaves, no ids needed back
    insert_rows(experiments)
