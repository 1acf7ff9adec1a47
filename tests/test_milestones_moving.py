"""Milestones move with their phase: an approved change request, a late Go, a Recycle, a moved
start date."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse

from engagements import change_requests
from engagements.models import Milestone, Outcome

from .conftest import decide, make_engagement
from .test_engagement_views import edit_payload
from .test_milestones import _milestone

# --- Milestones move with their phase ---------------------------------------------------------


def _dues(*milestones):
    return [Milestone.objects.get(pk=m.pk).due_date for m in milestones]


def _one_per_phase(engagement):
    return (
        _milestone(engagement, 1, "Baseline on our hold-out set", date(2026, 2, 1)),
        _milestone(engagement, 2, "Pipeline in staging", date(2026, 4, 6)),
        _milestone(engagement, 3, "Runbook reviewed", date(2026, 7, 1)),
    )


def test_an_approved_change_request_moves_the_milestones_of_the_phases_it_moves(owner, engagement):
    """The running PoC ends 2 weeks later (its milestones stay); development and handover
    start 2 weeks later, and so are their milestones due — recorded in the audit trail."""
    poc, development, handover = _one_per_phase(engagement)
    change = change_requests.propose(
        engagement,
        requested_by=owner,
        title="Ingest the CRM",
        reason="Better predictions.",
        impact_weeks=2,
        impact_money=0,
    )
    change_requests.approve(change, by=owner)
    assert _dues(poc, development, handover) == [
        date(2026, 2, 1),
        date(2026, 4, 20),
        date(2026, 7, 15),
    ]
    moved = Milestone.history.filter(id=development.pk).latest("history_date")
    assert moved.history_type == "~" and moved.history_user == owner


def test_a_late_go_moves_the_milestones_of_the_phases_after_it(owner, engagement):
    poc, development, handover = _one_per_phase(engagement)
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 16))  # planned for 2 Mar
    assert _dues(poc, development, handover) == [
        date(2026, 2, 1),
        date(2026, 4, 20),
        date(2026, 7, 15),
    ]


def test_a_recycle_keeps_the_phases_milestones_and_moves_the_later_ones(owner, engagement):
    poc, development, handover = _one_per_phase(engagement)
    decide(engagement, 1, Outcome.RECYCLE, owner, new_end_date=date(2026, 3, 30))
    assert _dues(poc, development, handover) == [
        date(2026, 2, 1),
        date(2026, 5, 4),
        date(2026, 7, 29),
    ]


def test_moving_the_start_date_moves_every_phases_milestones(client_for, owner, org):
    start = date.today() + timedelta(days=30)
    engagement = make_engagement(org, owner, start_date=start)
    phases = {p.number: p for p in engagement.phases.all()}
    milestones = [
        _milestone(engagement, n, f"Step {n}", phases[n].planned_start + timedelta(days=3))
        for n in (1, 2, 3)
    ]
    data = edit_payload(engagement, start_date=(start + timedelta(days=14)).isoformat())
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 302
    assert _dues(*milestones) == [phases[n].planned_start + timedelta(days=17) for n in (1, 2, 3)]
