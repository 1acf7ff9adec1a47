"""Health from the radar and the plan warnings (engagements/health.py), the radar panel on
the engagement page, and the stored health the portfolio reads: refreshed after a write's
commit, by the hourly beat task, and at the end of seed_demo."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from engagements import health as health_module
from engagements.facts import facts_for
from engagements.health import engagement_health, health_for, refresh_health
from engagements.models import (
    ChangeRequest,
    Engagement,
    GateCondition,
    GateDecision,
    Invoice,
    Kpi,
    KpiKind,
    Milestone,
    RiskSettings,
    WeeklyReport,
)
from engagements.tasks import refresh_health as refresh_task

from .conftest import make_engagement


def fresh(engagement) -> Engagement:
    return Engagement.objects.prefetch_related("phases").get(pk=engagement.pk)


def health_on(engagement, today, *, with_money=True):
    engagement = fresh(engagement)
    settings = RiskSettings.defaults(engagement.organisation)
    facts = facts_for(engagement, today, with_money=with_money)
    return engagement_health(engagement, facts, settings, today, with_money=with_money)


def overdue_condition(engagement, owner, due=date(2026, 2, 1)):
    decision = GateDecision.objects.create(
        gate=engagement.gates.get(number=1),
        outcome="hold",
        rationale="Waiting.",
        decided_by=owner,
        decided_on=date(2026, 1, 30),
    )
    return GateCondition.objects.create(
        engagement=engagement,
        decision=decision,
        title="Sign the data-processing agreement",
        owner=owner,
        due_date=due,
    )


def overspend(engagement, owner, amount="300000", reference="INV-9"):
    return Invoice.objects.create(
        engagement=engagement,
        phase=engagement.phases.get(number=1),
        reference=reference,
        amount=Decimal(amount),
        date=date(2026, 1, 30),
        recorded_by=owner,
    )


def weekly(engagement, weeks):
    for week in weeks:
        WeeklyReport.objects.create(
            engagement=engagement,
            year=2026,
            week=week,
            summary="Week",
            hours=Decimal(40),
            data_quality_score=80,
        )


def test_a_healthy_engagement_is_green(engagement):
    engagement.data_readiness = 80
    engagement.save()
    health = health_on(engagement, date(2026, 1, 8))
    assert health.colour == "green" and health.risks == [] and health.top_reason == ""


def test_an_overdue_condition_turns_health_red_for_that_reason(engagement, owner):
    engagement.data_readiness = 50  # amber: below the 60% minimum
    engagement.save()
    weekly(engagement, [2, 3, 4, 5])
    overdue_condition(engagement, owner)
    health = health_on(engagement, date(2026, 2, 4))
    assert health.colour == "red"
    assert health.top_reason.startswith("Condition “Sign the data-processing agreement”")
    assert "3 days overdue" in health.top_reason
    assert [r.key for r in health.risks] == ["overdue_conditions", "no_usable_data"]
    assert health.reasons[1].startswith("Data readiness is 50%")  # the worst first


def test_amber_risks_or_plan_warnings_make_it_amber(engagement):
    engagement.data_readiness = 50
    engagement.save()
    weekly(engagement, [2, 3, 4, 5])
    health = health_on(engagement, date(2026, 2, 4))
    assert health.colour == "amber" and "Data readiness is 50%" in health.top_reason
    engagement.data_readiness = 80
    engagement.save()
    engagement.phases.filter(number=1).update(billing_model="fixed_price")
    health = health_on(engagement, date(2026, 2, 4))
    assert health.colour == "amber" and health.risks == []
    assert health.top_reason.startswith("Plan: Discovery & PoC is billed at a fixed price")


def test_a_stopped_engagement_is_red_and_a_completed_one_green(engagement):
    Engagement.objects.filter(pk=engagement.pk).update(status="stopped")
    assert health_on(engagement, date(2026, 6, 1)).colour == "red"
    Engagement.objects.filter(pk=engagement.pk).update(status="completed")
    health = health_on(engagement, date(2026, 6, 1))
    assert health.colour == "green" and health.top_reason == "Completed: handed over."


def test_the_vendor_contact_sees_no_money_risk(engagement, owner, assigned_vendor):
    overspend(engagement, owner)
    today = date(2026, 2, 4)
    insider = health_for(fresh(engagement), owner.memberships.get(), today)
    vendor = health_for(fresh(engagement), assigned_vendor.memberships.get(), today)
    assert "budget_overrun" in [r.key for r in insider.risks]
    assert not [r for r in vendor.risks if r.internal or r.key == "budget_overrun"]
    assert not any("$" in reason for reason in vendor.reasons)


def test_the_radar_panel_lists_risks_with_links_and_is_not_shown_to_vendors(
    client_for, engagement, owner, assigned_vendor
):
    overspend(engagement, owner)
    url = reverse("engagements:detail", args=[engagement.pk])
    page = client_for(owner).get(url).content.decode()
    assert "Risk radar" in page and "Budget overrun" in page
    assert f'href="{reverse("engagements:invoices", args=[engagement.pk])}"' in page
    # Health and the radar are the client's steering, as on the portfolio.
    page = client_for(assigned_vendor).get(url).content.decode()
    assert "Risk radar" not in page and "Health:" not in page
    assert "Budget overrun" not in page and "$300,000" not in page


def test_hostile_text_in_a_risk_reason_is_escaped(client_for, engagement, owner):
    overdue_condition(engagement, owner).__class__.objects.update(
        title='<script>alert("x")</script>'
    )
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert b'<script>alert("x")</script>' not in page.content
    assert b"&lt;script&gt;" in page.content


# --- Stored health ---------------------------------------------------------------------


def test_a_write_refreshes_the_stored_health_after_commit(
    engagement, owner, django_capture_on_commit_callbacks
):
    refresh_health([engagement.pk])
    engagement.refresh_from_db()
    assert engagement.health == "red"  # the PoC ended on 2 Mar 2026: long overdue
    assert "Budget overrun" not in engagement.risk_titles
    with django_capture_on_commit_callbacks(execute=True):
        overspend(engagement, owner)
    engagement.refresh_from_db()
    assert "Budget overrun" in engagement.risk_titles
    assert engagement.health_refreshed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        Invoice.objects.filter(engagement=engagement).get().delete()
    engagement.refresh_from_db()
    assert "Budget overrun" not in engagement.risk_titles


def test_each_listed_model_refreshes_its_engagement(
    engagement, owner, django_capture_on_commit_callbacks
):
    """A save of any of the engagement's records schedules its refresh."""
    writes = [
        lambda: Kpi.objects.create(engagement=engagement, name="F1", target=1, kind="technical"),
        lambda: Milestone.objects.create(
            engagement=engagement,
            phase=engagement.phases.get(number=1),
            title="Data audit",
            due_date=date(2026, 1, 20),
        ),
        lambda: engagement.checklist_items.first().save(),
        lambda: weekly(engagement, [2]),
        lambda: ChangeRequest.objects.create(
            engagement=engagement, title="More", reason="x", requested_by=owner
        ),
        lambda: overdue_condition(engagement, owner),
        lambda: engagement.gate_criteria.first().save(),
        lambda: engagement.phases.first().save(),
    ]
    for write in writes:
        Engagement.objects.filter(pk=engagement.pk).update(health="", risk_titles=[])
        with django_capture_on_commit_callbacks(execute=True):
            write()
        engagement.refresh_from_db()
        assert engagement.health == "red", write


def test_one_refresh_per_transaction_however_many_rows(
    engagement, owner, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(health_module, "refresh_health", lambda ids, today=None: calls.append(ids))
    other = make_engagement(engagement.organisation, owner, title="Another")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        weekly(engagement, [2, 3, 4, 5, 6])
        weekly(other, [2])
        overspend(engagement, owner)
    assert calls == [{engagement.pk, other.pk}]


def test_saving_the_risk_settings_refreshes_the_organisations_engagements(
    org, engagement, owner, django_capture_on_commit_callbacks
):
    refresh_health([engagement.pk])
    Engagement.objects.filter(pk=engagement.pk).update(health="", risk_titles=[])
    with django_capture_on_commit_callbacks(execute=True):
        RiskSettings.objects.create(
            organisation=org, schedule_slip_days=365, missing_report_weeks=52
        )
    engagement.refresh_from_db()
    assert engagement.health == "amber"  # overdue, but not by more than a year... yet
    assert "Schedule slip" in engagement.risk_titles


def test_the_beat_task_refreshes_every_engagement(org, owner, other_org, outsider):
    first = make_engagement(org, owner)
    second = make_engagement(other_org, outsider)
    Engagement.objects.update(health="", health_reason="", risk_titles=[])
    assert refresh_task.delay().get() == 2
    for engagement in (first, second):
        engagement.refresh_from_db()
        assert engagement.health == "red"
        assert "Schedule slip" in engagement.risk_titles and engagement.health_reason
        assert engagement.health_refreshed_at is not None


def test_the_beat_task_is_scheduled_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-health"]
    assert entry == {"task": "engagements.tasks.refresh_health", "schedule": 3600}


def test_seed_demo_ends_with_a_refresh(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", engagements=7, password="not-the-default", stdout=None)
    rows = Engagement.objects.values_list("health", "health_refreshed_at")
    assert len(rows) == 7 and all(colour and refreshed for colour, refreshed in rows)
    assert {colour for colour, _ in rows} >= {"red", "green"}


def test_refreshing_runs_the_same_queries_whatever_the_number(org, owner):
    def count(ids):
        with CaptureQueriesContext(connection) as queries:
            refresh_health(ids)
        return len(queries)

    few = [make_engagement(org, owner, title=f"E{i}").pk for i in range(2)]
    small = count(few)
    many = few + [make_engagement(org, owner, title=f"M{i}").pk for i in range(8)]
    for pk in many:
        Kpi.objects.create(engagement_id=pk, name="F1", target=1, kind=KpiKind.TECHNICAL)
    Kpi.objects.filter(engagement_id__in=few).delete()
    Kpi.objects.create(engagement_id=few[0], name="F1", target=1, kind=KpiKind.TECHNICAL)
    assert count(few) == count(many)
    assert small <= count(many)


@pytest.mark.parametrize("role", [Role.OWNER, Role.VENDOR])
def test_the_engagement_page_runs_the_same_queries_as_data_grows(
    role, client_for, org, owner, engagement, assigned_vendor, django_assert_num_queries
):
    user = owner if role == Role.OWNER else assigned_vendor
    client = client_for(user)
    url = reverse("engagements:detail", args=[engagement.pk])
    Kpi.objects.create(engagement=engagement, name="F1", target=1, kind=KpiKind.TECHNICAL)
    client.get(url)  # caches (content types) warmed
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    weekly(engagement, range(2, 12))
    for i in range(3):
        overspend(engagement, owner, amount="1000", reference=f"INV-{i}")
        overdue_condition(engagement, owner, due=date(2026, 2, 1) + timedelta(days=i))
        Milestone.objects.create(
            engagement=engagement,
            phase=engagement.phases.get(number=1),
            title=f"Step {i}",
            due_date=date(2026, 1, 20),
        )
        ChangeRequest.objects.create(
            engagement=engagement, title=f"More {i}", reason="x", requested_by=owner
        )
    with django_assert_num_queries(len(before)):
        client.get(url)
