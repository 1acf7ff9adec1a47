"""Weekly status reports: the rules (one function for the form and the API), hours-only and
missing-week flags (R15), amendments that keep the original, vendor scope through the pages
and the API, the engagement page's constant query count, the trend chart geometry and the demo
data."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from api.models import ApiToken
from engagements.demo.weekly import seed_weekly_reports
from engagements.models import (
    DataHolder,
    Engagement,
    EngagementStatus,
    Experiment,
    Kpi,
    KpiKind,
    ReportMetric,
    ReportStatus,
    WeeklyReport,
)
from engagements.weekly_charts import END_LABEL_GAP, metric_trend, metric_trends, nice_ticks
from engagements.weekly_overview import iso_week, missing_weeks, monday_of, overview, week_ranges
from engagements.weekly_reports import (
    ExperimentInput,
    MetricInput,
    ReportInput,
    ReportRefused,
    amend_report,
    as_input,
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


@pytest.fixture
def assigned_vendor(org, vendor, engagement):
    engagement.vendor_contacts.add(vendor.memberships.get())
    return vendor


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


# --- The form -----------------------------------------------------------------------------


def test_a_vendor_contact_sends_a_report_through_the_form(client_for, assigned_vendor, engagement):
    client = client_for(assigned_vendor)
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    assert client.get(url).status_code == 200
    post = report_post(
        metrics=[("F1", "0.81", "client"), ("F1", "0.88", "vendor")],
        experiments=[("Class weights", "Recall +4", "kept")],
        data_quality_score="96.5",
    )
    response = client.post(url, post)
    report = WeeklyReport.objects.get()
    assert response.url == reverse("engagements:weekly_report", args=[engagement.pk, report.pk])
    assert report.submitted_by == assigned_vendor and report.metrics.count() == 2
    assert report.experiments.get().outcome == "kept"


def test_add_another_metric_works_without_javascript(client_for, owner, engagement):
    client = client_for(owner)
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    response = client.post(
        url, report_post(metrics=[("F1", "0.8", "client")]) | {"add_metric": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="metrics-TOTAL_FORMS" value="3"' in html
    assert 'name="metrics-0-value" value="0.8"' in html
    assert "autofocus" in html and 'class="error"' not in html
    assert not WeeklyReport.objects.exists()


def submit_buttons(html: str) -> list[str]:
    start = html.index('<form method="post" enctype="multipart/form-data"')
    form = html[start : html.index("</form>", start)]
    return re.findall(r"<button type=\"submit\"[^>]*>[^<]*</button>", form)


@pytest.mark.parametrize("amending", [False, True])
def test_enter_in_the_form_sends_the_report_not_add_another(
    client_for, owner, engagement, amending
):
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    if amending:
        report = send(engagement, owner, 3, metrics=[f1("0.8")])
        url = reverse("engagements:weekly_report_amend", args=[engagement.pk, report.pk])
    buttons = submit_buttons(client_for(owner).get(url).content.decode())
    # A browser's Enter presses the form's first submit button: the hidden "send" one, which
    # screen readers skip (the visible one comes after the sections).
    send_label = "Record the amendment" if amending else "Send the report"
    first, *rest = buttons
    assert "name=" not in first and f">{send_label}<" in first
    assert 'aria-hidden="true"' in first and 'tabindex="-1"' in first
    assert [re.search(r">([^<]*)<", b)[1] for b in rest] == [
        "Add another metric",
        "Add another experiment",
        send_label,
    ]


def test_the_metric_name_suggests_the_kpis_and_the_names_reported_before(
    client_for, owner, engagement
):
    Kpi.objects.create(
        engagement=engagement,
        kind=KpiKind.TECHNICAL,
        name="Intent classifier F1",
        target=Decimal("0.85"),
    )
    send(
        engagement,
        owner,
        3,
        metrics=[f1("0.8", name="p95 latency"), f1("0.7", name="intent classifier f1")],
    )
    other = make_engagement(engagement.organisation, owner, title="Other")
    send(other, owner, 3, metrics=[f1("0.8", name="Elsewhere")])
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    html = client_for(owner).get(url).content.decode()
    datalist = re.search(r'<datalist id="metric-names">(.*?)</datalist>', html)[1]
    # The KPI's name first, each name once whatever its case, none of another engagement's.
    assert re.findall(r'value="([^"]*)"', datalist) == ["Intent classifier F1", "p95 latency"]
    assert re.search(r'<input[^>]*name="metrics-0-name"[^>]*list="metric-names"', html)
    assert "Use the KPI&#x27;s name to chart it against its target" in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metrics": [("F1", "high", "client")]}, "The value must be a number, such as 0.87."),
        ({"data_quality_score": "140"}, "on a 0–100 scale"),
        ({"hours": "-5"}, "Hours cannot be negative."),
        ({"week": "2099-W10"}, "has not started yet"),
        ({"week": "2025-W40"}, "before the engagement started"),
        ({"week": "next week"}, "such as 2026-W47"),
        ({"status": "stuck"}, "Say why the work is stuck"),
    ],
)
def test_bad_input_on_the_form_is_refused_with_a_reason(
    client_for, owner, engagement, fields, message
):
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    response = client_for(owner).post(url, report_post(**fields))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not WeeklyReport.objects.exists()


def test_a_second_report_for_the_week_is_refused_on_the_form(client_for, owner, engagement):
    send(engagement, owner, 3)
    url = reverse("engagements:weekly_report_new", args=[engagement.pk])
    response = client_for(owner).post(url, report_post())
    assert response.status_code == 409
    assert "already a report for week 2026-W03" in response.content.decode()


def test_hostile_text_is_shown_escaped(client_for, owner, engagement):
    report = send(
        engagement,
        owner,
        3,
        summary="<script>alert(1)</script>",
        metrics=[MetricInput("<b>F1</b>", Decimal("0.8"), "<i>set</i>", "1", DataHolder.CLIENT)],
    )
    client = client_for(owner)
    for url in (
        reverse("engagements:weekly_report", args=[engagement.pk, report.pk]),
        reverse("engagements:weekly_reports", args=[engagement.pk]),
        reverse("engagements:detail", args=[engagement.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>F1</b>" not in html


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


# --- The API ------------------------------------------------------------------------------


def token_client(client, user):
    secret = ApiToken.issue(user.memberships.get(), "ci")[1]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def post_json(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


BODY = {
    "year": 2026,
    "week": 3,
    "summary": "Baseline retrained.",
    "hours": 112,
    "data_quality_score": 96.5,
    "metrics": [
        {
            "name": "F1",
            "value": 0.86,
            "dataset_name": "tickets-holdout",
            "dataset_version": "2026-01",
            "held_by": "client",
        },
        {
            "name": "F1",
            "value": 0.91,
            "dataset_name": "tickets-dev",
            "dataset_version": "v14",
            "held_by": "vendor",
        },
    ],
    "experiments": [{"hypothesis": "Class weights", "result": "Recall +4", "outcome": "kept"}],
}


def test_a_vendor_pipeline_posts_a_weekly_report(client, assigned_vendor, engagement):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_create", args=[engagement.pk])
    response = post_json(api, url, BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["version"], data["hours_only"], data["submitted_by"]) == (
        1,
        False,
        "vendor@acme.test",
    )
    assert [(m["value"], m["held_by"]) for m in data["metrics"]] == [
        ("0.86", "client"),
        ("0.91", "vendor"),
    ]
    assert (data["hours"], data["data_quality_score"]) == ("112", "96.5")
    again = post_json(api, url, BODY)
    assert again.status_code == 409
    assert "already a report for week 2026-W03" in again.json()["detail"]


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"data_quality_score": 140}, ["body", "data_quality_score"], "0–100 scale"),
        ({"hours": -1}, ["body", "hours"], "Hours cannot be negative."),
        ({"year": 2101}, None, "less than or equal to 2100"),
        ({"year": 2099, "week": 50}, ["body", "week"], "has not started yet"),
        ({"week": 1}, ["body", "week"], "before the engagement started"),
        ({"status": "stuck"}, ["body", "status_reason"], "Say why the work is stuck"),
        (
            {
                "metrics": [
                    {
                        "name": "F1",
                        "value": "high",
                        "dataset_name": "d",
                        "dataset_version": "1",
                        "held_by": "client",
                    }
                ]
            },
            ["body", "metrics", 0, "value"],
            "valid decimal",
        ),
        ({"hours": "lots"}, ["body", "hours"], "valid decimal"),  # a type error, as ninja says
        (
            {"metrics": [BODY["metrics"][0], BODY["metrics"][0]]},
            ["body", "metrics", 1, "name"],
            "already reported above",
        ),
        ({"surprise": 1}, None, "Extra inputs are not permitted"),
    ],
)
def test_bad_input_on_the_api_is_a_422_with_reasons_and_nothing_written(
    client, assigned_vendor, engagement, change, where, message
):
    api = token_client(client, assigned_vendor)
    body = BODY | change
    response = post_json(api, reverse("api:weekly_report_create", args=[engagement.pk]), body)
    assert response.status_code == 422, response.content
    errors = response.json()["detail"]
    assert any(message in e["msg"] for e in errors), errors
    if where:
        assert where in [e["loc"] for e in errors]
    assert not WeeklyReport.objects.exists()


def test_a_vendor_contact_cannot_post_to_an_engagement_not_assigned_to_them(
    client, vendor, engagement
):
    api = token_client(client, vendor)
    response = post_json(api, reverse("api:weekly_report_create", args=[engagement.pk]), BODY)
    assert response.status_code == 404 and response.json()["detail"]
    assert not WeeklyReport.objects.exists()


def test_put_creates_then_amends_and_leaves_an_unchanged_week_alone(
    client, assigned_vendor, engagement
):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_put", args=[engagement.pk, 2026, 3])
    body = {k: v for k, v in BODY.items() if k not in ("year", "week")}
    first = post_json(api, url, body | {"hours": 96}, "put").json()
    assert (first["result"], first["version"]) == ("created", 1)
    again = post_json(api, url, body | {"hours": 96}, "put").json()
    assert again["result"] == "unchanged"
    # Just written or read back from the database, a figure reads the same.
    figures = ("hours", "data_quality_score")
    assert [again[k] for k in figures] == [first[k] for k in figures] == ["96", "96.5"]
    assert again["metrics"] == first["metrics"]
    body["hours"] = 96
    body["metrics"] = [{**BODY["metrics"][0], "value": 0.88}]
    amended = post_json(api, url, body | {"amendment_note": "Nightly run"}, "put").json()
    assert (amended["result"], amended["version"]) == ("amended", 2)
    assert WeeklyReport.objects.filter(engagement=engagement).count() == 2
    assert WeeklyReport.objects.get(is_current=False).metrics.count() == 2  # the original
    future = post_json(
        api, reverse("api:weekly_report_put", args=[engagement.pk, 2099, 1]), body, "put"
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["path", "week"]


def test_the_openapi_description_has_a_curl_example_for_ci(client_for, owner):
    spec = client_for(owner).get("/api/openapi.json").json()
    post = spec["paths"]["/api/engagements/{engagement_id}/weekly-reports"]["post"]
    assert re.search(r"curl .*-X POST", post["description"])
    assert "Authorization: Bearer $HANDOVER_TOKEN" in post["description"]
    put = spec["paths"]["/api/engagements/{engagement_id}/weekly-reports/{year}/{week}"]["put"]
    assert "$(date +%G)/$(date +%V)" in put["description"]
    # PUT says plainly that it replaces the week's report, form-sent ones too, as a version.
    assert "replaces the week's current report" in " ".join(put["description"].split())
    assert "through the form" in put["description"] and "`amendment_note`" in put["description"]
    # The examples' metric name reads as the KPI's, not as a name of their own.
    for operation in (post, put):
        assert '"name": "<technical KPI name>"' in operation["description"]
        assert '"name": "F1"' not in operation["description"]
        assert "KPI's name" in operation["description"]
    metric = spec["components"]["schemas"]["MetricIn"]["properties"]["name"]
    assert "KPI's name to chart it against its target" in metric["description"]


def test_each_weekly_report_operation_appears_once_in_the_docs(client_for, owner):
    spec = client_for(owner).get("/api/openapi.json").json()
    operations = [
        (path, method, operation.get("tags"))
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if "weekly-reports" in path
    ]
    # Swagger lists an operation under each of its tags: one tag, one listing.
    assert sorted(operations) == [
        ("/api/engagements/{engagement_id}/weekly-reports", "post", ["weekly reports"]),
        (
            "/api/engagements/{engagement_id}/weekly-reports/{year}/{week}",
            "put",
            ["weekly reports"],
        ),
    ]


# --- Trend charts -------------------------------------------------------------------------


def test_a_trend_draws_client_and_vendor_evaluations_apart_against_the_target():
    trend = metric_trend(
        "F1",
        [
            (2026, 3, "client", Decimal("0.70")),
            (2026, 4, "client", Decimal("0.80")),
            (2026, 5, "client", Decimal("0.90")),
            (2026, 3, "vendor", Decimal("0.85")),
            (2026, 5, "vendor", Decimal("0.95")),
        ],
        target=Decimal("0.85"),
    )
    client, vendor = trend.series
    assert (client.held_by, client.dash, vendor.held_by) == ("client", "", "vendor")
    assert vendor.dash and client.marker != vendor.marker  # apart without colour
    ys = [p.y for p in client.points]
    assert ys[0] > ys[1] > ys[2]  # rising values climb the chart (SVG y grows downwards)
    assert ys[2] < trend.target_y < ys[0]  # the client's F1 crossed the target
    assert client.points[0].x == vendor.points[0].x and client.points[-1].x == trend.plot[2]
    assert trend.title == (
        "F1 by week. Client's hold-out set: latest 0.9 in 2026-W05 (3 weeks); "
        "Vendor-controlled data: latest 0.95 in 2026-W05 (2 weeks); "
        "target 0.85, higher is better."
    )


def test_the_value_axis_is_labelled_in_round_steps_from_at_or_below_the_lowest_value():
    assert nice_ticks(Decimal("0.687"), Decimal("0.953")) == [
        Decimal("0.6"),
        Decimal("0.7"),
        Decimal("0.8"),
        Decimal("0.9"),
    ]
    assert nice_ticks(Decimal(108), Decimal(132)) == [100, 110, 120, 130]
    assert nice_ticks(Decimal("-0.3"), Decimal("0.3"))[0] <= Decimal("-0.3")


@pytest.mark.parametrize(
    ("observations", "target"),
    [
        ([(2026, 3, "client", Decimal("0.905"))], None),
        ([(2026, 3, "client", Decimal("0.905"))], Decimal("0.91")),
        ([(2026, 3, "client", Decimal("0.905")), (2026, 4, "client", Decimal("0.93"))], None),
    ],
)
def test_no_point_sits_below_the_lowest_gridline(observations, target):
    trend = metric_trend("F1", observations, target=target)
    lowest = max(tick.position for tick in trend.y_ticks)  # SVG y grows downwards
    assert all(p.y <= lowest for s in trend.series for p in s.points)
    assert lowest <= trend.plot[3]  # and the gridline is inside the plot


def test_a_week_without_the_metric_breaks_the_line_instead_of_bridging_it():
    trend = metric_trend(
        "F1",
        [
            (2026, 3, "client", Decimal("0.70")),
            (2026, 4, "client", Decimal("0.75")),
            # 2026-W05: hours only, no metric at all
            (2026, 6, "client", Decimal("0.80")),
            (2026, 3, "vendor", Decimal("0.85")),
            (2026, 6, "vendor", Decimal("0.90")),
            (2026, 7, "vendor", Decimal("0.92")),
        ],
    )
    client, vendor = trend.series
    assert [[p.week for p in run] for run in client.runs] == [
        ["2026-W03", "2026-W04"],
        ["2026-W06"],
    ]
    # The vendor skipped W04 while the client reported it: a sparser series, joined; W05
    # had no metric at all: broken there.
    assert [[p.week for p in run] for run in vendor.runs] == [
        ["2026-W03"],
        ["2026-W06", "2026-W07"],
    ]
    xs = {p.week: p.x for p in client.points}
    assert client.polylines == [
        f"{xs['2026-W03']},{client.points[0].y} {xs['2026-W04']},{client.points[1].y}",
        f"{xs['2026-W06']},{client.points[2].y}",
    ]
    # The gap keeps its width on the time axis: W05 is empty, not squeezed out.
    assert xs["2026-W06"] - xs["2026-W04"] == pytest.approx(
        2 * (xs["2026-W04"] - xs["2026-W03"]), abs=0.2
    )


def test_the_page_draws_a_broken_line_around_an_hours_only_week(client_for, owner, engagement):
    send(engagement, owner, 3, metrics=[f1("0.7")])
    send(engagement, owner, 4, hours=Decimal(40))  # hours only
    send(engagement, owner, 5, metrics=[f1("0.8")])
    send(engagement, owner, 6, metrics=[f1("0.82")])
    url = reverse("engagements:weekly_reports", args=[engagement.pk])
    html = client_for(owner).get(url).content.decode()
    lines = re.findall(r'<polyline[^>]*data-held-by="client" points="([^"]+)"', html)
    assert [len(points.split()) for points in lines] == [1, 2]


def test_a_single_week_without_a_target_still_draws():
    trend = metric_trend("Latency", [(2026, 3, "vendor", Decimal(120))])
    assert trend.target_y is None and "no target set" in trend.title
    point = trend.series[0].points[0]
    assert trend.plot[0] < point.x < trend.plot[2] and trend.plot[1] < point.y < trend.plot[3]


def test_metrics_find_their_technical_kpi_by_name_whatever_the_case(engagement):
    kpi = Kpi.objects.create(
        engagement=engagement, kind=KpiKind.TECHNICAL, name="Intent F1", target=Decimal("0.85")
    )
    rows = [(2026, 3, "intent f1", "client", Decimal("0.8")), (2026, 3, "Recall", "client", 1)]
    business = Kpi(engagement=engagement, kind=KpiKind.BUSINESS, name="Recall", target=5)
    trends = {t.name: t for t in metric_trends(rows, [kpi, business])}
    assert trends["Intent F1"].target == kpi.target  # and the chart takes the KPI's name
    assert trends["Recall"].target is None  # only technical KPIs are metric targets


def test_the_chart_shows_the_latest_values_on_the_page(client_for, owner, engagement):
    Kpi.objects.create(
        engagement=engagement, kind=KpiKind.TECHNICAL, name="F1", target=Decimal("0.85")
    )
    send(engagement, owner, 3, metrics=[f1("0.7"), f1("0.9", DataHolder.VENDOR)])
    send(engagement, owner, 4, metrics=[f1("0.86")])
    html = (
        client_for(owner).get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    )
    svg = html[
        html.index('<svg class="trend"') : html.index("</svg>", html.index('<svg class="trend"'))
    ]
    assert "Client&#x27;s hold-out set: latest 0.86 in 2026-W04" in svg
    assert 'stroke-dasharray="7 4"' in svg and 'class="target"' in svg
    assert svg.count("<polyline") == 2


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


def test_text_holding_a_nul_character_is_a_422_not_a_database_error(
    client, assigned_vendor, engagement
):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_create", args=[engagement.pk])
    response = post_json(api, url, BODY | {"summary": "a\u0000b"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert "NUL" in error["msg"] and error["loc"][-1] == "summary"
    assert not WeeklyReport.objects.exists()


def test_a_duplicate_metric_the_database_catches_is_a_422():
    from django.db import IntegrityError

    from engagements.weekly_reports import ReportRefused, _refuse_duplicate_metric

    exc = IntegrityError('duplicate key value violates "one_metric_per_name_and_holder"')
    with pytest.raises(ReportRefused) as refused:
        _refuse_duplicate_metric(exc)
    assert refused.value.status == 422
    _refuse_duplicate_metric(IntegrityError("something else"))  # not ours: left alone


def test_put_amending_an_earlier_week_says_what_it_corrects(client, assigned_vendor, engagement):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_put", args=[engagement.pk, 2026, 3])
    body = {k: v for k, v in BODY.items() if k not in ("year", "week")}
    post_json(api, url, body, "put")
    changed = body | {"summary": "Corrected."}
    refused = post_json(api, url, changed, "put")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "amendment_note"
    assert post_json(api, url, changed | {"amendment_note": "Typo"}, "put").status_code == 200
