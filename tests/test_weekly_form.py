"""Sending a weekly report through the form: metrics and experiments as rows that can be added
without JavaScript, Enter sending the report, and refusals with their reasons."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from engagements.models import (
    DataHolder,
    Kpi,
    KpiKind,
    WeeklyReport,
)
from engagements.weekly_reports import (
    MetricInput,
)

from .conftest import make_engagement
from .test_weekly_reports import f1, report_post, send

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
