"""The running phase and the KPI trend the portfolio reads from the engagement
(`current_phase_number`, `kpi_trend`, stored by `health.refresh_health`): what they hold, that
the writes which change them (weekly reports and their metrics, KPIs, phases, gate decisions)
refresh them after their commit, and that the dashboard draws from them for insiders and
vendor contacts alike."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from engagements.health import refresh_health
from engagements.models import DataHolder, Engagement, Kpi, KpiKind, Outcome, PhaseStatus
from engagements.sparklines import spark_since, stored_sparkline
from engagements.weekly_reports import MetricInput, ReportInput, amend_report, submit_report

from .conftest import decide, make_engagement

URL = reverse("engagements:portfolio")


def stored(engagement) -> Engagement:
    return Engagement.objects.get(pk=engagement.pk)


def values(engagement) -> list[str]:
    return [value for _year, _week, value in stored(engagement).kpi_trend.get("points", [])]


def f1(value, held_by=DataHolder.CLIENT, name="F1"):
    return MetricInput(name, Decimal(value), "tickets-holdout", "2026-11", held_by)


def week_of(weeks_ago: int) -> tuple[int, int]:
    year, week, _ = (timezone.localdate() - timedelta(weeks=weeks_ago)).isocalendar()
    return year, week


def send(engagement, by, weeks_ago, *metrics):
    year, week = week_of(weeks_ago)
    data = ReportInput(year, week, "A week of work.", metrics=list(metrics))
    return submit_report(engagement, data, by, timezone.localdate())


def started(org, owner, weeks_ago=40):
    engagement = make_engagement(
        org, owner, start_date=timezone.localdate() - timedelta(weeks=weeks_ago)
    )
    Kpi.objects.create(
        engagement=engagement,
        kind=KpiKind.TECHNICAL,
        name="F1",
        unit="",
        target=Decimal("0.85"),
    )
    return engagement


# --- what is stored -----------------------------------------------------------------------


def test_the_trend_holds_the_first_technical_kpis_recent_client_readings(org, owner):
    engagement = started(org, owner)
    send(engagement, owner, 30, f1("0.60"))  # older than the sparkline's 26 weeks
    send(engagement, owner, 3, f1("0.70"), f1("0.99", DataHolder.VENDOR))
    send(engagement, owner, 1, f1("0.88"), f1("0.5", name="Latency"))
    refresh_health([engagement.pk])
    trend = stored(engagement).kpi_trend
    assert trend["kpi"] == "F1" and trend["target"] == "0.8500" and trend["higher_is_better"]
    assert trend["points"] == [[*week_of(3), "0.7000"], [*week_of(1), "0.8800"]]


def test_no_technical_kpi_no_trend_and_no_running_phase_before_the_start(org, owner):
    planned = make_engagement(org, owner, start_date=timezone.localdate() + timedelta(days=30))
    refresh_health([planned.pk])
    assert stored(planned).kpi_trend == {} and stored(planned).current_phase_number is None


def test_a_stored_sparkline_leaves_out_weeks_before_its_window():
    since = spark_since(date(2026, 6, 17))
    old = (since - timedelta(weeks=1)).isocalendar()
    new = (since + timedelta(weeks=25)).isocalendar()
    trend = {
        "kpi": "MAPE",
        "unit": "%",
        "target": "8",
        "higher_is_better": False,
        "points": [[old.year, old.week, "20"], [new.year, new.week, "7.5"]],
    }
    spark = stored_sparkline(trend, since)
    assert spark.points == "117.0,25.0" and spark.met is True  # below the target line
    assert spark.label == "MAPE: latest 7.5 on client data, target ≤ 8 (met); 1 reading in 26 weeks"
    assert stored_sparkline({}, since) is None
    assert stored_sparkline(trend | {"points": []}, since) is None


# --- the writes that refresh it -------------------------------------------------------------


def test_a_new_weekly_reports_metric_shows_in_the_stored_trend(
    org, owner, django_capture_on_commit_callbacks
):
    engagement = started(org, owner)
    refresh_health([engagement.pk])
    assert values(engagement) == []
    with django_capture_on_commit_callbacks(execute=True):
        report = send(engagement, owner, 1, f1("0.81"))
    assert values(engagement) == ["0.8100"]
    with django_capture_on_commit_callbacks(execute=True):
        year, week = week_of(1)
        amend_report(
            report,
            ReportInput(year, week, "Re-evaluated.", metrics=[f1("0.83")], amendment_note="Fix."),
            owner,
            timezone.localdate(),
        )
    assert values(engagement) == ["0.8300"]  # the current version's figure only


def test_editing_the_kpi_refreshes_the_trends_name_and_target(
    org, owner, django_capture_on_commit_callbacks
):
    engagement = started(org, owner)
    send(engagement, owner, 1, f1("0.81"))
    refresh_health([engagement.pk])
    kpi = engagement.kpis.get(kind=KpiKind.TECHNICAL)
    with django_capture_on_commit_callbacks(execute=True):
        kpi.target, kpi.name = Decimal("0.8"), "f1"
        kpi.save()
    trend = stored(engagement).kpi_trend
    assert (trend["kpi"], trend["target"], values(engagement)) == ("f1", "0.8000", ["0.8100"])


def test_a_go_moves_the_running_phase(org, owner, django_capture_on_commit_callbacks):
    engagement = started(org, owner, weeks_ago=10)
    refresh_health([engagement.pk])
    assert stored(engagement).current_phase_number == 1
    with django_capture_on_commit_callbacks(execute=True):
        decide(engagement, 1, Outcome.GO, owner, on=timezone.localdate())
    assert stored(engagement).current_phase_number == 2


def test_a_phase_written_directly_moves_it_too(org, owner, django_capture_on_commit_callbacks):
    engagement = started(org, owner, weeks_ago=10)
    refresh_health([engagement.pk])
    with django_capture_on_commit_callbacks(execute=True):
        for phase in engagement.phases.filter(number__lte=2).order_by("number"):
            phase.status = PhaseStatus.DONE if phase.number == 1 else PhaseStatus.ACTIVE
            phase.save()
    assert stored(engagement).current_phase_number == 2


# --- the dashboard reads it -----------------------------------------------------------------


def test_the_phase_filter_and_the_row_read_the_stored_phase(client_for, org, owner):
    engagement = started(org, owner, weeks_ago=10)
    decide(engagement, 1, Outcome.GO, owner, on=timezone.localdate())
    refresh_health([engagement.pk])
    client = client_for(owner)
    assert "2. Development &amp; Iteration" in client.get(URL + "?phase=2").content.decode()
    assert "No engagement matches" in client.get(URL + "?phase=1").content.decode()


def test_a_vendor_contact_sees_the_trend_but_no_money_and_no_health(client_for, org, owner, vendor):
    engagement = started(org, owner)
    engagement.vendor_contacts.add(vendor.memberships.get())
    send(engagement, owner, 2, f1("0.70"))
    send(engagement, owner, 1, f1("0.90"))
    refresh_health([engagement.pk])
    page = client_for(vendor).get(URL).content.decode()
    assert '<svg class="spark"' in page
    assert "F1: latest 0.9 on client data, target ≥ 0.85 (met); 2 readings" in page
    for hidden in ("Budget burn", "$250,000", "health red", "health amber", "health green"):
        assert hidden not in page


def test_an_engagement_due_to_start_is_started_when_the_page_is_shown(
    client_for, org, owner, django_capture_on_commit_callbacks
):
    """The filters' query counts it; the start's commit refreshes its stored phase (in
    production before the page reads it: the start commits inside the request)."""
    planned = make_engagement(org, owner, start_date=timezone.localdate() + timedelta(days=3))
    refresh_health([planned.pk])
    Engagement.objects.filter(pk=planned.pk).update(start_date=timezone.localdate())
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(URL)
    assert stored(planned).status == "active" and stored(planned).current_phase_number == 1
    page = client.get(URL + "?phase=1").content.decode()
    assert "1. Discovery &amp; PoC" in page and "Gate 1 · due" in page
