"""Weekly status reports: the rules (one function for the form and the API), hours-only and
missing-week flags (R15), amendments that keep the original, vendor scope through the pages
and the API, the engagement page's constant query count, the trend chart geometry and the demo
data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from engagements.models import (
    DataHolder,
    Experiment,
    ReportMetric,
    ReportStatus,
    WeeklyReport,
)
from engagements.weekly_overview import iso_week, missing_weeks, monday_of, week_ranges
from engagements.weekly_reports import (
    ExperimentInput,
    MetricInput,
    ReportInput,
    ReportRefused,
    amend_report,
    report_errors,
    submit_report,
)

from .conftest import make_engagement
from .test_engagement_views import DETAIL_QUERIES

START = date(2026, 1, 5)  # make_engagement's start: Monday of 2026-W02


def today():
    return timezone.localdate()


def f1(value, held_by=DataHolder.CLIENT, name="F1"):
    return MetricInput(name, Decimal(value), "tickets-holdout", "2026-01", held_by)


def send(engagement, by, week, year=2026, **fields) -> WeeklyReport:
    fields.setdefault("summary", "A week of work.")
    return submit_report(engagement, ReportInput(year=year, week=week, **fields), by, today())


# --- Weeks --------------------------------------------------------------------------------


def test_missing_weeks_run_from_the_start_week_to_the_last_complete_week():
    # Started on a Wednesday of W02; today is the Wednesday of W06: W02–W05 are due.
    assert missing_weeks(date(2026, 1, 7), set(), date(2026, 2, 4)) == [
        (2026, 2),
        (2026, 3),
        (2026, 4),
        (2026, 5),
    ]
    assert missing_weeks(date(2026, 1, 7), {(2026, 3)}, date(2026, 2, 4)) == [
        (2026, 2),
        (2026, 4),
        (2026, 5),
    ]


def test_no_week_is_missing_before_the_start_or_in_the_future():
    assert missing_weeks(date(2026, 3, 2), set(), date(2026, 2, 4)) == []
    # The current week is not over: not missing yet.
    assert missing_weeks(date(2026, 2, 2), set(), date(2026, 2, 4)) == []


def test_a_finished_engagement_misses_no_week_after_its_end():
    weeks = missing_weeks(date(2026, 1, 5), set(), date(2026, 6, 1), end=date(2026, 1, 21))
    assert weeks == [(2026, 2), (2026, 3), (2026, 4)]


def test_missing_weeks_are_folded_into_ranges_across_the_new_year():
    weeks = [(2025, 51), (2025, 52), (2026, 1), (2026, 5)]
    assert week_ranges(weeks) == ["2025-W51 – 2026-W01", "2026-W05"]


# --- The rules ----------------------------------------------------------------------------


def messages(engagement, **fields):
    fields.setdefault("summary", "Work.")
    fields.setdefault("year", 2026)
    fields.setdefault("week", 3)
    return [m for _, m in report_errors(engagement, ReportInput(**fields), date(2026, 11, 28))]


def test_the_rules_refuse_bad_reports_with_reasons(engagement):
    assert messages(engagement) == []
    assert "has not started yet" in messages(engagement, week=50)[0]
    assert "before the engagement started" in messages(engagement, year=2025, week=52)[0]
    assert "has no ISO week 53" in messages(engagement, year=2025, week=53)[0]
    assert messages(engagement, hours=Decimal(-1)) == ["Hours cannot be negative."]
    assert "0–100 scale" in messages(engagement, data_quality_score=Decimal(140))[0]
    assert "stuck" in messages(engagement, status=ReportStatus.STUCK)[0]
    twice = messages(engagement, metrics=[f1("0.8"), f1("0.81", name="f1 ")])
    assert twice == [
        "f1 on the client's hold-out set is already reported above: one value per metric and "
        "data holder."
    ]
    # The same metric on the client's and on the vendor's data is the point, not a duplicate.
    assert messages(engagement, metrics=[f1("0.8"), f1("0.9", DataHolder.VENDOR)]) == []
    assert "must be a number" in messages(engagement, metrics=[f1("NaN")])[0]


def test_a_second_report_for_a_week_is_refused(engagement, owner):
    send(engagement, owner, 3)
    with pytest.raises(ReportRefused) as refused:
        send(engagement, owner, 3, summary="Again")
    assert refused.value.status == 409
    assert "already a report for week 2026-W03" in refused.value.conflict
    assert WeeklyReport.objects.count() == 1


def test_nothing_is_half_written(engagement, owner, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Experiment.objects, "create", fail)
    with pytest.raises(RuntimeError):
        send(engagement, owner, 3, metrics=[f1("0.8")], experiments=[ExperimentInput("h", "r")])
    assert not WeeklyReport.objects.exists() and not ReportMetric.objects.exists()


# --- R15 and missing weeks on the pages ----------------------------------------------------


def test_an_hours_only_report_is_flagged_on_the_report_and_the_engagement(
    client_for, owner, engagement
):
    """R15: good vendors report data quality, F1 and experiments; weak ones only hours."""
    weak = send(engagement, owner, 3, hours=Decimal(120))
    scored = send(engagement, owner, 4, hours=Decimal(120), data_quality_score=Decimal(97))
    measured = send(engagement, owner, 5, hours=Decimal(120), metrics=[f1("0.8")])
    tried = send(engagement, owner, 6, hours=Decimal(120), experiments=[ExperimentInput("h", "r")])
    assert weak.hours_only
    assert not any(r.hours_only for r in (scored, measured, tried))

    client = client_for(owner)
    page = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    panel = page[page.index('id="weekly-reports"') :]
    assert "Hours-only reports: 1</strong> (week 2026-W03)" in panel
    detail = client.get(reverse("engagements:weekly_report", args=[engagement.pk, weak.pk]))
    assert "Hours only" in detail.content.decode()
    other = client.get(reverse("engagements:weekly_report", args=[engagement.pk, scored.pk]))
    assert "Hours only" not in other.content.decode()


def test_missing_weeks_are_listed_on_the_engagement_page(client_for, owner, org):
    start = monday_of(today()) - timedelta(weeks=6)
    engagement = make_engagement(org, owner, start_date=start)
    for weeks_after in (0, 1, 4):
        year, week = iso_week(start + timedelta(weeks=weeks_after))
        send(engagement, owner, week, year=year)
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    missing = [iso_week(start + timedelta(weeks=n)) for n in (2, 3, 5)]
    expected = ", ".join(week_ranges(missing))
    assert f"3 weeks without a report</strong>: {expected}." in page.content.decode()


# --- Amendments ---------------------------------------------------------------------------


def test_an_amendment_keeps_the_original(client_for, owner, engagement):
    original = send(engagement, owner, 3, hours=Decimal(40), metrics=[f1("0.80")])
    client = client_for(owner)
    url = reverse("engagements:weekly_report_amend", args=[engagement.pk, original.pk])
    form = client.get(url).content.decode()
    assert 'value="0.8"' in form  # the amendment starts from what was sent
    response = client.post(
        url,
        report_post(
            amendment_note="F1 was on the wrong split.", metrics=[("F1", "0.78", "client")]
        ),
    )
    assert response.status_code == 302
    amendment = WeeklyReport.objects.get(is_current=True)
    assert (amendment.version, amendment.amendment_note) == (2, "F1 was on the wrong split.")
    assert [m.value for m in amendment.metrics.all()] == [Decimal("0.78")]
    original.refresh_from_db()
    assert not original.is_current
    assert [m.value for m in original.metrics.all()] == [Decimal("0.8")]
    old = client.get(reverse("engagements:weekly_report", args=[engagement.pk, original.pk]))
    assert "This version was amended" in old.content.decode()
    # Audited: the original's retirement is in the trail, with who did it.
    change = original.history.filter(history_type="~").get()
    assert change.history_user == owner and change.is_current is False
    # Amending a version already amended is refused, and says what to do.
    with pytest.raises(ReportRefused) as refused:
        amend_report(original, ReportInput(2026, 3, "Late"), owner, today())
    assert refused.value.status == 409 and "amended meanwhile" in refused.value.conflict


def report_post(week="2026-W03", metrics=(), experiments=(), **fields) -> dict:
    data = {
        "week": week,
        "status": "on_schedule",
        "status_reason": "",
        "summary": "A week of work.",
        "hours": "40",
        "data_quality_score": "",
        "blockers": "",
        "decisions": "",
        "metrics-TOTAL_FORMS": str(len(metrics) + 1),
        "metrics-INITIAL_FORMS": "0",
        "experiments-TOTAL_FORMS": str(len(experiments) + 1),
        "experiments-INITIAL_FORMS": "0",
        f"metrics-{len(metrics)}-held_by": "client",
        f"experiments-{len(experiments)}-outcome": "kept",
    }
    for i, (name, value, holder) in enumerate(metrics):
        data |= {
            f"metrics-{i}-name": name,
            f"metrics-{i}-value": value,
            f"metrics-{i}-dataset_name": "tickets-holdout",
            f"metrics-{i}-dataset_version": "2026-01",
            f"metrics-{i}-held_by": holder,
        }
    for i, (hypothesis, result, outcome) in enumerate(experiments):
        data |= {
            f"experiments-{i}-hypothesis": hypothesis,
            f"experiments-{i}-result": result,
            f"experiments-{i}-outcome": outcome,
        }
    return data | fields


# --- Vendor scope through the pages --------------------------------------------------------


def test_vendor_contacts_reach_only_their_engagements_reports(client_for, org, owner, vendor):
    mine = make_engagement(org, owner, title="Mine")
    theirs = make_engagement(org, owner, title="Not mine")
    mine.vendor_contacts.add(vendor.memberships.get())
    report = send(theirs, owner, 3, hours=Decimal(10))
    client = client_for(vendor)
    for name, args in (
        ("weekly_reports", [theirs.pk]),
        ("weekly_report_new", [theirs.pk]),
        ("weekly_report", [theirs.pk, report.pk]),
        ("weekly_report_amend", [theirs.pk, report.pk]),
        ("weekly_report", [mine.pk, report.pk]),  # another engagement's report by its id
    ):
        assert client.get(reverse(f"engagements:{name}", args=args)).status_code == 404, name
    assert (
        client.post(
            reverse("engagements:weekly_report_new", args=[theirs.pk]), report_post()
        ).status_code
        == 404
    )
    assert WeeklyReport.objects.count() == 1
    # Their own engagement's reports they read in full, hours included (nothing is internal).
    own = send(mine, vendor, 3, hours=Decimal("37.5"))
    page = client.get(reverse("engagements:weekly_report", args=[mine.pk, own.pk]))
    assert "37.5" in page.content.decode()


def test_board_members_read_reports_but_do_not_send_them(client_for, board, owner, engagement):
    report = send(engagement, owner, 3)
    client = client_for(board)
    page = client.get(reverse("engagements:weekly_report", args=[engagement.pk, report.pk]))
    assert page.status_code == 200 and "Amend" not in page.content.decode()
    detail = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "Send a weekly report" not in detail and "Weekly reports" in detail


# --- Query counts -------------------------------------------------------------------------


def bulk_reports(engagement, count: int, by) -> None:
    """`count` weekly reports back from last week, each with two metrics and an experiment."""
    last = monday_of(today()) - timedelta(weeks=1)
    reports = []
    for n in range(count):
        year, week = iso_week(last - timedelta(weeks=n))
        reports.append(
            WeeklyReport(
                engagement=engagement,
                year=year,
                week=week,
                summary="s",
                hours=Decimal(40),
                submitted_by=by,
            )
        )
    WeeklyReport.objects.bulk_create(reports)
    ReportMetric.objects.bulk_create(
        ReportMetric(
            report=r,
            name=name,
            value=Decimal("0.8"),
            dataset_name="d",
            dataset_version="1",
            held_by=holder,
        )
        for r in reports
        for name, holder in (("F1", "client"), ("F1", "vendor"))
    )
    Experiment.objects.bulk_create(
        Experiment(report=r, hypothesis="h", result="r") for r in reports[::2]
    )


def test_the_engagement_page_runs_the_same_queries_with_5_and_52_reports(
    client_for, owner, org, django_assert_num_queries
):
    start = monday_of(today()) - timedelta(weeks=60)
    small = make_engagement(org, owner, title="Small", start_date=start)
    large = make_engagement(org, owner, title="Large", start_date=start)
    bulk_reports(small, 5, owner)
    bulk_reports(large, 52, owner)
    client = client_for(owner)
    for engagement, count in ((small, 5), (large, 52)):
        ContentType.objects.clear_cache()
        with django_assert_num_queries(DETAIL_QUERIES):
            response = client.get(reverse("engagements:detail", args=[engagement.pk]))
        assert response.status_code == 200
        assert f"of {engagement.title}</span> ({count})</a>" in response.content.decode()


def test_the_reports_list_runs_the_same_queries_with_5_and_52_reports(
    client_for, owner, org, django_assert_num_queries
):
    start = monday_of(today()) - timedelta(weeks=60)
    small = make_engagement(org, owner, title="Small", start_date=start)
    large = make_engagement(org, owner, title="Large", start_date=start)
    bulk_reports(small, 5, owner)
    bulk_reports(large, 52, owner)
    client = client_for(owner)
    # session, user, memberships, engagement, its KPIs, its phases, reports, metrics
    for engagement, count in ((small, 5), (large, 52)):
        with django_assert_num_queries(8):
            response = client.get(reverse("engagements:weekly_reports", args=[engagement.pk]))
        assert response.content.decode().count('<th scope="row">') == count


# --- Found in review ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("report.pdf", b"MZ\x90\x00 an executable renamed", "not a PDF file"),
        ("page.html", b"<html><script>alert(1)</script>", "not a file we accept"),
    ],
)
def test_a_disguised_attachment_is_refused_when_sending_and_amending(
    client_for, owner, engagement, settings, tmp_path, name, content, reason
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(owner)
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    post = report_post(attachment=SimpleUploadedFile(name, content))
    response = client.post(url, post)
    assert response.status_code == 422 and reason in response.content.decode()
    assert not WeeklyReport.objects.exists()
    report = send(engagement, owner, week=3)
    amend = reverse("engagements:weekly_report_amend", args=[engagement.pk, report.pk])
    post = report_post(amendment_note="Fix", attachment=SimpleUploadedFile(name, content))
    response = client.post(amend, post)
    assert response.status_code == 422 and reason in response.content.decode()
    assert WeeklyReport.objects.count() == 1


def test_a_duplicate_metric_the_database_catches_is_a_422():
    from django.db import IntegrityError

    from engagements.weekly_reports import ReportRefused, _refuse_duplicate_metric

    exc = IntegrityError('duplicate key value violates "one_metric_per_name_and_holder"')
    with pytest.raises(ReportRefused) as refused:
        _refuse_duplicate_metric(exc)
    assert refused.value.status == 422
    _refuse_duplicate_metric(IntegrityError("something else"))  # not ours: left alone
