"""Metric trends against their targets: the chart geometry, client- and vendor-held data drawn
apart, gaps, axis ticks and end labels."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from engagements.models import (
    DataHolder,
    Kpi,
    KpiKind,
)
from engagements.weekly_charts import metric_trend, metric_trends, nice_ticks

from .test_weekly_reports import f1, send

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
