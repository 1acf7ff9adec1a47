"""A vendor contact sends a weekly report with two metrics through the form (adding the second
row with "Add another metric", no script needed), and the CTO sees the trend chart move: the
chart's title states the new latest values and its client series gains a point."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from engagements.models import DataHolder, Kpi, KpiKind
from engagements.weekly_overview import iso_week, monday_of
from engagements.weekly_reports import MetricInput, ReportInput, submit_report

from .browsing import ARTIFACTS, log_in, new_page, violations
from .conftest import make_engagement

pytestmark = pytest.mark.browser


def trend_state(page) -> tuple[str, str]:
    chart = page.locator("#weekly-reports svg.trend").first
    title = chart.locator("title").text_content()
    points = chart.locator("polyline[data-held-by=client]").get_attribute("points")
    return title, points


def test_a_vendor_sends_two_metrics_and_the_owner_sees_the_trend_move(
    live_server, browser, org, owner, vendor
):
    today = timezone.localdate()
    engagement = make_engagement(org, owner, start_date=monday_of(today) - timedelta(weeks=8))
    engagement.vendor_contacts.add(vendor.memberships.get())
    Kpi.objects.create(
        engagement=engagement, kind=KpiKind.TECHNICAL, name="F1", target=Decimal("0.85")
    )
    year, week = iso_week(monday_of(today) - timedelta(weeks=1))
    metric = MetricInput("F1", Decimal("0.71"), "tickets-holdout", "2026-10", DataHolder.CLIENT)
    submit_report(engagement, ReportInput(year, week, "Baseline.", metrics=[metric]), vendor, today)
    detail = f"{live_server.url}/engagements/{engagement.pk}/"

    cto = new_page(browser)
    log_in(cto, live_server.url, "owner@acme.test", "pw")
    cto.goto(detail)
    before_title, before_points = trend_state(cto)
    assert "Client's hold-out set: latest 0.71" in before_title
    assert "target 0.85" in before_title
    assert len(before_points.split()) == 1

    contact = new_page(browser)
    log_in(contact, live_server.url, "vendor@acme.test", "pw")
    contact.goto(detail)
    contact.get_by_role("link", name="Send a weekly report").click()
    contact.get_by_role("heading", name="Send a weekly report").wait_for()
    this_week = f"{iso_week(today)[0]}-W{iso_week(today)[1]:02d}"
    assert contact.get_by_label("Week:").input_value() == this_week
    contact.get_by_label("Summary").fill("Class weights retrained; evaluated on both sets.")
    contact.get_by_label("Hours logged").fill("96")
    contact.get_by_label("Data-quality score (0–100)").fill("97.5")
    first = contact.get_by_role("group", name="Metric 1")
    first.get_by_label("Name").fill("F1")
    first.get_by_label("Value").fill("0.88")
    first.get_by_label("Evaluation data set").fill("tickets-holdout")
    first.get_by_label("Data set version").fill("2026-11")
    contact.get_by_role("button", name="Add another metric").click()
    second = contact.get_by_role("group", name="Metric 2")
    second.wait_for()
    assert first.get_by_label("Value").input_value() == "0.88"  # kept across the round trip
    second.get_by_label("Name").fill("f1")
    second.get_by_label("Value").fill("0.93")
    second.get_by_label("Evaluation data set").fill("vendor validation split")
    second.get_by_label("Data set version").fill("v7")
    second.get_by_label("Data held by").select_option(DataHolder.VENDOR)
    assert violations(contact) == []
    # Enter in a field sends the report (not "Add another metric", the first visible button).
    second.get_by_label("Data set version").press("Enter")
    contact.get_by_text(f"Weekly report for {this_week} sent.").wait_for()
    assert contact.locator("table tbody tr").count() == 2
    assert violations(contact) == []

    cto.reload()
    after_title, after_points = trend_state(cto)
    assert f"Client's hold-out set: latest 0.88 in {this_week} (2 weeks)" in after_title
    assert f"Vendor-controlled data: latest 0.93 in {this_week} (1 week)" in after_title
    assert len(after_points.split()) == 2 and after_points != before_points
    vendor_line = cto.locator("#weekly-reports svg.trend polyline[data-held-by=vendor]")
    assert vendor_line.get_attribute("stroke-dasharray")  # drawn dashed, apart from the client's
    # 0.88 is above the 0.85 target: the new client point sits above the target line.
    newest_y = float(after_points.split()[-1].split(",")[1])
    target_y = float(cto.locator("#weekly-reports svg.trend line.target").get_attribute("y1"))
    assert newest_y < target_y
    assert violations(cto) == []
    ARTIFACTS.mkdir(exist_ok=True)
    cto.locator("#weekly-reports").screenshot(path=ARTIFACTS / "weekly-trend.png")
    cto.get_by_role("link", name="All weekly reports").click()
    cto.get_by_role("heading", name="Weekly reports", exact=True).wait_for()
    assert cto.locator("table.weekly-reports tbody tr").count() == 2
    assert violations(cto) == []
    cto.screenshot(path=ARTIFACTS / "weekly-reports.png", full_page=True)
    for page in (cto, contact):
        assert page.problems == [], page.problems
        page.context.close()
