"""The portfolio dashboard: rows, filters, urgency, the summary strip, pages, what vendor
contacts see, the query count at 10 and 1,000 engagements, and that the benchmark runs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from engagements.facts import Reading
from engagements.health import refresh_health
from engagements.models import (
    DataHolder,
    Engagement,
    Invoice,
    Kpi,
    KpiKind,
    Outcome,
    ReportMetric,
    WeeklyReport,
)
from engagements.portfolio import Filters, gate_text, phase_text
from engagements.sparklines import spark_since, sparkline

from .conftest import decide, make_engagement, make_member

URL = reverse("engagements:portfolio")
TODAY = date.today()


def store_health(engagement, colour, reason="", risks=()):
    """What the radar's refresh stores (the figures as computed, the health set directly:
    these tests are about the dashboard). Call it after writing the engagement's data, as
    the refresh runs after each commit."""
    refresh_health([engagement.pk])
    Engagement.objects.filter(pk=engagement.pk).update(
        health=colour,
        health_reason=reason,
        risk_titles=list(risks),
        health_refreshed_at=timezone.now(),
    )


def started(org, owner, weeks_ago, **fields):
    return make_engagement(org, owner, start_date=TODAY - timedelta(weeks=weeks_ago), **fields)


# --- the pure parts -------------------------------------------------------------------------


def reading(week_offset, value, since):
    monday = since + timedelta(weeks=week_offset)
    year, week, _ = monday.isocalendar()
    return Reading(1, Decimal(value), DataHolder.CLIENT, year, week, 1)


def test_a_sparkline_places_readings_by_week_with_the_target_line():
    since = spark_since(date(2026, 6, 17))
    spark = sparkline(
        [reading(0, "0.70", since), reading(25, "0.90", since)],
        since,
        name="F1",
        target=Decimal("0.85"),
    )
    first, last = spark.points.split()
    assert first == "3.0,25.0" and last == "117.0,3.0"  # the oldest low left, the newest high right
    assert spark.target_y == "8.5" and spark.met is True
    assert (
        spark.label == "F1: latest 0.9 on client data, target ≥ 0.85 (met); 2 readings in 26 weeks"
    )


def test_a_lower_is_better_kpi_meets_its_target_below_it():
    since = spark_since(date(2026, 6, 17))
    spark = sparkline(
        [reading(3, "12", since)], since, name="MAPE", target=Decimal(8), higher_is_better=False
    )
    assert spark.met is False and "target ≤ 8 (not met)" in spark.label
    assert sparkline([], since, name="MAPE", target=None) is None


def test_gate_and_phase_texts_say_overdue_and_on_hold():
    today = date(2026, 3, 10)
    assert gate_text("active", 1, date(2026, 3, 1), today) == "Gate 1 · overdue since 1 Mar 2026"
    assert gate_text("active", 2, date(2026, 4, 1), today) == "Gate 2 · due 1 Apr 2026"
    assert gate_text("stopped", 1, date(2026, 3, 1), today) == ""
    assert phase_text("on_hold", 1, today) == "1. Discovery & PoC · on hold"
    assert phase_text("planned", None, today) == "Starts 10 Mar 2026"


def test_pager_links_keep_the_filters():
    filters = Filters(phase="2", health="red", vendor="Northwind ML", owner=7, sort="newest")
    assert filters.query(3) == ("phase=2&health=red&vendor=Northwind+ML&owner=7&sort=newest&page=3")
    assert Filters().query() == ""


# --- rows -------------------------------------------------------------------------------------


def test_a_row_shows_gate_health_burn_trend_risks_and_owner(client_for, org, owner):
    owner.first_name, owner.last_name = "Olivia", "Owens"
    owner.save()
    engagement = started(org, owner, 20, title="Ticket triage")
    poc = engagement.phases.get(number=1)
    Invoice.objects.create(
        engagement=engagement, phase=poc, amount=Decimal(100000), date=TODAY, reference="INV-1"
    )
    kpi = Kpi.objects.create(
        engagement=engagement, kind=KpiKind.TECHNICAL, name="F1", target=Decimal("0.85")
    )
    for weeks_back, value in ((3, "0.70"), (2, "0.80"), (1, "0.88")):
        year, week, _ = (TODAY - timedelta(weeks=weeks_back)).isocalendar()
        report = WeeklyReport.objects.create(
            engagement=engagement, year=year, week=week, summary="x", hours=10
        )
        ReportMetric.objects.create(
            report=report, name="f1", value=Decimal(value), held_by=DataHolder.CLIENT
        )
        ReportMetric.objects.create(  # the vendor's own figure is not the client's trend
            report=report, name="F1", value=Decimal("0.99"), held_by=DataHolder.VENDOR
        )
    store_health(engagement, "red", "Gate 1 is 50 days overdue.", ["Schedule slip", "Scope creep"])
    trend = Engagement.objects.get(pk=engagement.pk).kpi_trend
    assert (trend["kpi"], trend["target"]) == (kpi.name, "0.8500")
    assert [Decimal(value) for _year, _week, value in trend["points"]] == [
        Decimal("0.70"),
        Decimal("0.80"),
        Decimal("0.88"),
    ]
    page = client_for(owner).get(URL).content.decode()
    assert ">Ticket triage</a>" in page and "1. Discovery &amp; PoC" in page
    assert '<strong class="overdue">Gate 1 · overdue since' in page
    assert '<span class="health red">Red</span>' in page and "Gate 1 is 50 days overdue." in page
    assert "40%: $100,000 of $250,000" in page
    assert "F1: latest 0.88 on client data, target ≥ 0.85 (met); 3 readings" in page
    assert "2: Schedule slip; Scope creep" in page and "Olivia Owens" in page


def test_a_row_without_stored_health_is_refreshed_when_shown(client_for, org, owner):
    engagement = started(org, owner, 1)
    engagement.phases.filter(number=1).update(billing_model="fixed_price")
    assert Engagement.objects.get(pk=engagement.pk).health_refreshed_at is None
    page = client_for(owner).get(URL).content.decode()
    assert '<span class="health amber">Amber</span>' in page
    assert "Plan: Discovery &amp; PoC is billed" in page


def test_hostile_text_is_escaped(client_for, org, owner):
    engagement = started(org, owner, 2, title="<script>alert(1)</script>", vendor_name="<b>V</b>")
    store_health(engagement, "amber", "<img src=x onerror=alert(1)>", ["<i>risk</i>"])
    page = client_for(owner).get(URL).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<i>risk</i>" not in page and "<b>V</b>" not in page


# --- filters, urgency, pages ----------------------------------------------------------------


@pytest.fixture
def spread(org, owner):
    """Five engagements: an overdue gate, a red one, an amber one, a green one, a completed one
    — two vendors, two owners."""
    other_owner = make_member(org, Role.OWNER, "second@acme.test")
    late = started(org, owner, 30, title="Late gate", vendor_name="Quantile Labs")
    red = started(org, owner, 2, title="Red one")
    amber = started(org, other_owner, 3, title="Amber one", vendor_name="Quantile Labs")
    green = started(org, owner, 1, title="Green one")
    done = started(org, owner, 1, title="Done one")
    decide(done, 1, Outcome.NO_GO, owner, on=TODAY)
    for engagement, colour in ((late, "green"), (red, "red"), (amber, "amber"), (green, "green")):
        store_health(engagement, colour)
    store_health(done, "red")
    return {"late": late, "red": red, "amber": amber, "green": green, "done": done}


def titles(html: str) -> list[str]:
    import re

    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html)


def test_urgency_puts_overdue_gates_first_then_red_then_amber_and_closed_last(
    client_for, owner, spread
):
    page = client_for(owner).get(URL).content.decode()
    assert titles(page) == ["Late gate", "Red one", "Amber one", "Green one", "Done one"]
    newest = client_for(owner).get(URL + "?sort=newest").content.decode()
    assert titles(newest) == ["Done one", "Green one", "Amber one", "Red one", "Late gate"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("health=red", ["Red one", "Done one"]),
        ("health=green&phase=1", ["Late gate", "Green one"]),
        ("phase=closed", ["Done one"]),
        ("vendor=Quantile+Labs", ["Late gate", "Amber one"]),
        ("vendor=Quantile+Labs&health=amber", ["Amber one"]),
    ],
)
def test_filters_narrow_the_rows_and_the_summary(client_for, owner, spread, query, expected):
    page = client_for(owner).get(f"{URL}?{query}").content.decode()
    assert titles(page) == expected
    assert f"<dt>Engagements</dt><dd>{len(expected)}</dd>" in page


def test_filter_by_owner(client_for, owner, spread):
    second = Membership.objects.get(user__email="second@acme.test").user
    page = client_for(owner).get(f"{URL}?owner={second.pk}").content.decode()
    assert titles(page) == ["Amber one"]


def test_a_bad_filter_is_named_and_left_out_the_others_still_apply(client_for, owner, spread):
    response = client_for(owner).get(f"{URL}?health=purple&vendor=Quantile+Labs&owner=x")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page and "Health: Select a valid choice." in page
    assert "That filter was left out." in page
    assert titles(page) == ["Late gate", "Amber one"]


def test_the_summary_counts_health_spend_and_gates_due(client_for, org, owner, spread):
    poc = spread["red"].phases.get(number=1)
    Invoice.objects.create(
        engagement=spread["red"], phase=poc, amount=Decimal(50000), date=TODAY, reference="A"
    )
    store_health(spread["red"], "red")
    page = client_for(owner).get(URL).content.decode()
    assert '<span class="health red">2 red</span>' in page
    assert '<span class="health amber">1 amber</span>' in page
    assert '<span class="health green">2 green</span>' in page
    assert "$50,000 of $1,250,000 approved (4%)" in page
    # PoCs of 1–3 weeks ago end within 30 days? No: 8 weeks long. The late one is overdue.
    assert "Gates due in the next 30 days</dt><dd>1" in page and "(1 overdue)" in page


def test_pages_of_50_keep_the_filters(client_for, org, owner):
    for i in range(52):
        store_health(started(org, owner, 1, title=f"E{i:02}", vendor_name="Northwind ML"), "green")
    client = client_for(owner)
    first = client.get(f"{URL}?vendor=Northwind+ML&health=green&sort=newest").content.decode()
    assert len(titles(first)) == 50 and "Page 1 of 2" in first
    assert 'href="?health=green&amp;vendor=Northwind+ML&amp;sort=newest&amp;page=2"' in first
    second = client.get(f"{URL}?health=green&vendor=Northwind+ML&sort=newest&page=2")
    assert titles(second.content.decode()) == ["E01", "E00"]


def test_htmx_gets_the_results_only(client_for, owner, spread):
    response = client_for(owner).get(f"{URL}?health=amber", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="portfolio-results"')
    assert titles(body) == ["Amber one"] and "HX-Request" in response["Vary"]


def test_an_empty_portfolio_invites_the_first_engagement(client_for, owner):
    page = client_for(owner).get(URL).content.decode()
    assert "No engagements yet." in page and "Start the first one" in page
    filtered = client_for(owner).get(URL + "?phase=closed").content.decode()
    assert "No engagement matches these filters." in filtered and 'href="/">Show all' in filtered


# --- vendor contacts --------------------------------------------------------------------------


def test_a_vendor_contact_sees_their_engagements_without_money_health_or_owners(
    client_for, org, owner, vendor, spread
):
    spread["amber"].vendor_contacts.add(vendor.memberships.get())
    store_health(spread["amber"], "amber", "Budget forecast beyond approved.", ["Budget overrun"])
    page = client_for(vendor).get(URL).content.decode()
    assert titles(page) == ["Amber one"]
    for hidden in ("Budget burn", "Budget forecast", "Budget overrun", ">Owner<", "Spent to date"):
        assert hidden not in page
    assert 'name="health"' not in page and 'name="owner"' not in page
    assert "<dt>Engagements</dt><dd>1</dd>" in page
    # A health filter typed into the address is ignored, never applied in SQL for them.
    assert titles(client_for(vendor).get(URL + "?health=red").content.decode()) == ["Amber one"]


# --- constant queries ---------------------------------------------------------------------


def _queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get(URL)
    assert response.status_code == 200
    return response


# session, user, memberships; the filters' vendors and owners (grouped, counting on the way
# the rows due to start and those never refreshed: none here, so no housekeeping query); the
# summary (one grouped query over stored columns); the page's rows (their owners named from
# the filters' query; the running phase and the KPI trend as the refresh stored them).
OWNER_QUERIES = 6
# The same without money and owners (vendor contacts see neither).
VENDOR_QUERIES = 6


def test_the_dashboard_runs_the_same_queries_at_10_and_1000_engagements(
    db, client, django_assert_num_queries
):
    """With a year of weekly reports per engagement (seed_demo writes them), for an owner and
    for a vendor contact (assigned to a fifth of them)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for count in (10, 1000):
        call_command(
            "seed_demo",
            "--org",
            "scale",
            "--engagements",
            str(count),
            "--password",
            "pw",
            stdout=StringIO(),
        )
        # What seed_demo's refresh stores on commit (which a test never reaches).
        refresh_health(Engagement.objects.values_list("pk", flat=True))
        client.force_login(users.get(username="owner@scale.example"))
        page = _queries(client, django_assert_num_queries, OWNER_QUERIES).content.decode()
        assert len(titles(page)) == min(count, 50) and '<svg class="spark"' in page
        client.force_login(users.get(username="vendor@scale.example"))
        _queries(client, django_assert_num_queries, VENDOR_QUERIES)
    assert Engagement.objects.count() == 1000 and WeeklyReport.objects.count() > 15000


# --- the benchmark ------------------------------------------------------------------------


def test_the_benchmark_runs_at_a_small_size(db):
    from bench import portfolio as bench

    result = bench.run(engagements=12, repeats=2)
    assert result.dashboard_ms > 0 and result.bare_ms > 0 and result.ratio > 0
    # seed_demo's health refresh runs on commit, which a test never reaches: the first
    # (warm-up) request refreshes the rows, the counted one reads them.
    assert result.dashboard_queries == OWNER_QUERIES and result.bare_queries == 4
