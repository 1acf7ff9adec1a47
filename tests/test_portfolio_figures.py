"""The figures the portfolio reads from the engagement instead of computing per row
(`next_gate_due`, `spent_to_date`, `budget_approved`, stored by `health.refresh_health`): what
they hold, that every write which changes them refreshes them after its commit, and that a
row never refreshed is still sorted and summed right (computed in SQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from engagements import change_requests
from engagements.actions import start_due_engagements
from engagements.health import refresh_health
from engagements.models import Engagement, EngagementStatus, Invoice, Outcome
from engagements.planning import PLAN_FIELDS

from .conftest import decide, make_engagement

URL = reverse("engagements:portfolio")


def stored(engagement) -> tuple:
    e = Engagement.objects.get(pk=engagement.pk)
    return e.next_gate_due, e.spent_to_date, e.budget_approved


def invoice(engagement, owner, amount, reference="INV-1"):
    return Invoice.objects.create(
        engagement=engagement,
        phase=engagement.phases.get(number=1),
        reference=reference,
        amount=Decimal(amount),
        date=date(2026, 1, 30),
        recorded_by=owner,
    )


def poc_end(engagement) -> date:
    return engagement.phases.get(number=1).planned_end


def test_the_refresh_stores_the_next_gate_the_spend_and_the_budget_approved(engagement, owner):
    invoice(engagement, owner, "40000")
    assert stored(engagement) == (None, Decimal(0), None)  # never refreshed
    refresh_health([engagement.pk])
    assert stored(engagement) == (poc_end(engagement), Decimal(40000), Decimal(250000))


def test_a_closed_or_planned_engagement_has_no_next_gate(org, owner, engagement):
    planned = make_engagement(org, owner, start_date=date.today() + timedelta(days=30))
    decide(engagement, 1, Outcome.NO_GO, owner)
    refresh_health([engagement.pk, planned.pk])
    assert stored(engagement)[0] is None and stored(planned)[0] is None


def test_invoices_refresh_the_spend(engagement, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booked = invoice(engagement, owner, "40000")
    assert stored(engagement)[1] == Decimal(40000)
    with django_capture_on_commit_callbacks(execute=True):
        booked.delete()
    assert stored(engagement)[1] == Decimal(0)


def test_an_approved_change_request_refreshes_the_budget_and_the_gate(
    engagement, owner, django_capture_on_commit_callbacks
):
    refresh_health([engagement.pk])
    before = poc_end(engagement)
    with django_capture_on_commit_callbacks(execute=True):
        change = change_requests.propose(
            engagement,
            requested_by=owner,
            title="A second language",
            reason="The LatAm team asked.",
            impact_weeks=2,
            impact_money=Decimal(30000),
        )
    assert stored(engagement)[2] == Decimal(250000)  # proposed: not approved yet
    with django_capture_on_commit_callbacks(execute=True):
        change_requests.approve(change, by=owner)
    gate, _, approved = stored(engagement)
    assert approved == Decimal(280000) and gate == before + timedelta(weeks=2) == poc_end(
        engagement
    )


def test_a_gate_decision_moves_the_next_gate(engagement, owner, django_capture_on_commit_callbacks):
    refresh_health([engagement.pk])
    with django_capture_on_commit_callbacks(execute=True):
        decide(engagement, 1, Outcome.GO, owner)
    development = engagement.phases.get(number=2)
    assert stored(engagement)[0] == development.planned_end
    with django_capture_on_commit_callbacks(execute=True):
        decide(engagement, 2, Outcome.NO_GO, owner, on=development.planned_end)
    assert stored(engagement)[0] is None


def test_a_plan_edit_and_a_budget_edit_refresh_the_figures(
    engagement, owner, django_capture_on_commit_callbacks
):
    refresh_health([engagement.pk])
    poc = engagement.phases.get(number=1)
    poc.planned_end += timedelta(weeks=3)
    with django_capture_on_commit_callbacks(execute=True):
        poc.save(update_fields=PLAN_FIELDS)
    assert stored(engagement)[0] == poc.planned_end
    engagement.budget = Decimal(300000)
    with django_capture_on_commit_callbacks(execute=True):
        engagement.save(update_fields=["budget"])
    assert stored(engagement)[2] == Decimal(300000)


def test_an_engagement_that_starts_gets_its_next_gate(
    org, owner, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    planned = make_engagement(org, owner, start_date=today + timedelta(days=3))
    refresh_health([planned.pk])
    assert planned.status == EngagementStatus.PLANNED and stored(planned)[0] is None
    with django_capture_on_commit_callbacks(execute=True):
        start_due_engagements(today + timedelta(days=3), org.pk)
    assert stored(planned)[0] == poc_end(planned)


def test_a_row_never_refreshed_is_refreshed_before_it_is_sorted_and_summed(
    client_for, org, owner, engagement
):
    """Created a moment ago (its refresh has not run): the dashboard refreshes it first, so
    the urgency sort, the burn column and the summary strip read its real figures."""
    fresh = make_engagement(org, owner, title="Fresh", start_date=timezone.localdate())
    refresh_health([fresh.pk])
    invoice(engagement, owner, "100000")
    change = change_requests.propose(
        engagement,
        requested_by=owner,
        title="A second language",
        reason="The LatAm team asked.",
        impact_weeks=0,
        impact_money=Decimal(50000),
    )
    change_requests.approve(change, by=owner)
    assert Engagement.objects.get(pk=engagement.pk).health_refreshed_at is None
    page = client_for(owner).get(URL).content.decode()
    # The PoC of 5 Jan 2026 is overdue: first, with its live burn, and counted as overdue.
    assert page.index("Support ticket triage") < page.index("Fresh")
    assert "Gate 1 · overdue since" in page and "33%: $100,000 of $300,000" in page
    assert "$100,000 of $550,000 approved (18%)" in page and "(1 overdue)" in page
    assert Engagement.objects.get(pk=engagement.pk).health_refreshed_at is not None
