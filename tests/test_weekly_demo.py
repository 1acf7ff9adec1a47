"""The demo's weekly reports: a year of them, within their weeks, with hours-only reports,
missing weeks and trends that cross their targets."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.roles import Role
from engagements.demo.weekly import seed_weekly_reports
from engagements.models import (
    Engagement,
    EngagementStatus,
    Kpi,
    KpiKind,
    ReportMetric,
    WeeklyReport,
)
from engagements.weekly_charts import END_LABEL_GAP, metric_trend
from engagements.weekly_overview import iso_week, monday_of, overview
from engagements.weekly_reports import (
    as_input,
    report_errors,
)

from .conftest import make_engagement
from .test_weekly_reports import today

# --- Demo data ----------------------------------------------------------------------------


def test_the_demo_seeds_a_year_of_reports_with_flags_and_crossing_trends(org, owner, vendor):
    members = {Role.OWNER: owner.memberships.get(), Role.VENDOR: vendor.memberships.get()}
    now = today()
    engagements = [
        make_engagement(org, owner, title=f"E{i}", start_date=now - timedelta(weeks=70))
        for i in range(5)
    ]
    for engagement in engagements:
        Kpi.objects.create(
            engagement=engagement,
            kind=KpiKind.TECHNICAL,
            name="F1",
            baseline=Decimal("0.6"),
            target=Decimal("0.85"),
        )
    seed_weekly_reports(engagements, members, now)
    count = WeeklyReport.objects.count()
    assert 5 * 40 < count <= 5 * 52
    seed_weekly_reports(engagements, members, now)
    assert WeeklyReport.objects.count() == count  # idempotent
    views = [overview(e, members[Role.OWNER], now) for e in with_plan(engagements)]
    assert all(len(v.reports) <= 52 for v in views)
    assert sum(len(v.hours_only) for v in views) >= 5
    assert any(v.missing for v in views)
    trend = views[0].trends[0]
    client = next(s for s in trend.series if s.held_by == "client")
    values = [p.value for p in client.points]
    assert values[0] < trend.target < values[-1]  # the trend crosses its target
    assert {s.held_by for s in trend.series} == {"client", "vendor"}


def test_a_demo_score_never_reads_above_1(org, owner, vendor):
    """The demo's trend runs past its target; a score near 1 must still stay a score."""
    members = {Role.OWNER: owner.memberships.get(), Role.VENDOR: vendor.memberships.get()}
    now = today()
    engagement = make_engagement(org, owner, start_date=now - timedelta(weeks=70))
    Kpi.objects.create(
        engagement=engagement,
        kind=KpiKind.TECHNICAL,
        name="Field-level F1",
        baseline=Decimal("0.80"),
        target=Decimal("0.95"),
    )
    seed_weekly_reports([engagement], members, now)
    values = ReportMetric.objects.values_list("value", flat=True)
    assert values and max(values) < 1


def test_the_demo_writes_only_weeks_the_app_accepts_sent_in_their_week(org, owner, vendor):
    members = {Role.OWNER: owner.memberships.get(), Role.VENDOR: vendor.memberships.get()}
    now = today()
    monday = monday_of(now) - timedelta(weeks=6)
    # Started on each day of a week (a Saturday start's week is reported, sent no earlier).
    engagements = [
        make_engagement(org, owner, title=f"E{day}", start_date=monday + timedelta(days=day))
        for day in range(7)
    ]
    stopped = make_engagement(org, owner, title="Stopped", start_date=monday)
    end = monday + timedelta(weeks=2, days=2)
    stopped.phases.filter(number=1).update(actual_end=end)
    Engagement.objects.filter(pk=stopped.pk).update(status=EngagementStatus.STOPPED)
    stopped.refresh_from_db()
    seed_weekly_reports([*engagements, stopped], members, now)
    reports = WeeklyReport.objects.select_related("engagement")
    assert reports.count() > 7
    for report in reports:
        engagement, week_monday = (
            report.engagement,
            date.fromisocalendar(report.year, report.week, 1),
        )
        assert report_errors(engagement, as_input(report), now) == [], report.week_label
        sent = timezone.localtime(report.submitted_at).date()
        assert engagement.start_date <= sent <= week_monday + timedelta(days=6 + 3)
        assert sent >= week_monday and report.submitted_at <= timezone.now()
    assert max(
        iso_week(date.fromisocalendar(r.year, r.week, 1)) for r in stopped.weekly_reports.all()
    ) <= iso_week(end)
    assert stopped.weekly_reports.exists()


def with_plan(engagements):
    return (
        Engagement.objects.filter(pk__in=[e.pk for e in engagements])
        .prefetch_related("kpis", "phases")
        .order_by("id")
    )


def test_the_end_labels_never_overlap_when_the_lines_end_close_together():
    trend = metric_trend(
        "Recall@10",
        [
            (2026, 3, "client", Decimal("0.300")),
            (2026, 4, "client", Decimal("0.352")),
            (2026, 3, "vendor", Decimal("0.310")),
            (2026, 4, "vendor", Decimal("0.356")),
        ],
        target=Decimal("0.3"),
    )
    (_, first), (_, second) = trend.end_labels
    assert round(second - first, 6) >= END_LABEL_GAP  # pixels to 0.1: no float noise
