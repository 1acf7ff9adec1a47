"""The demo's milestones, checklists and decision log: realistic, flagged where the guide
would flag them, and idempotent."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from accounts.roles import Role
from engagements.demo import seed_engagements
from engagements.demo.plan import (
    SCORE_PROMISE,
    SCORE_PROMISES,
    score_promise_for,
    seed_milestones_checklists_log,
)
from engagements.health import healths_for
from engagements.milestone_norms import score_promise
from engagements.models import ChecklistItem, DecisionLogEntry, Engagement, Milestone

TODAY = date(2026, 6, 1)


def _seed(org, owner, vendor, count=12):
    members = {Role.OWNER: owner.memberships.get(), Role.VENDOR: vendor.memberships.get()}
    seed_engagements(org, count, members[Role.OWNER], members[Role.VENDOR], TODAY)
    engagements = list(Engagement.objects.filter(organisation=org).order_by("id"))
    seed_milestones_checklists_log(engagements, members, TODAY)
    return engagements, members


def test_the_demo_plans_milestones_checklists_and_decisions(org, owner, vendor):
    engagements, _ = _seed(org, owner, vendor)
    started = [e for e in engagements if e.start_date <= TODAY]
    assert Milestone.objects.count() > 3 * len(started)
    assert ChecklistItem.objects.count() == 20 * len(engagements)
    assert ChecklistItem.objects.filter(status="done").exists()
    assert ChecklistItem.objects.exclude(status="done").exists()  # half-done
    assert DecisionLogEntry.objects.filter(author=vendor).exists()
    for milestone in Milestone.objects.select_related("engagement", "phase"):
        assert milestone.engagement.start_date <= milestone.due_date <= milestone.phase.planned_end
    for entry in DecisionLogEntry.objects.select_related("engagement"):
        assert entry.engagement.start_date <= entry.decided_on <= TODAY


def test_the_demo_shows_the_guides_failure_modes(org, owner, vendor):
    """R04, R25, R27 fire on some demo engagements, not on all."""
    engagements, members = _seed(org, owner, vendor)
    rows = Engagement.objects.filter(organisation=org).for_portfolio(members[Role.OWNER])
    healths = healths_for(rows, members[Role.OWNER], TODAY).values()
    warnings = [w for health in healths for w in health.warnings]
    assert any("promises a model score" in w or "promise a model score" in w for w in warnings)
    assert any("production-hardening" in w for w in warnings)
    assert any("No MLOps milestone" in w for w in warnings)
    assert sum("a model score (" in w for w in warnings) < len(engagements)


def test_the_demos_score_promises_fit_their_engagement(org, owner, vendor):
    """R04 in the demo reads true: the pricing pilot does not promise an intent classifier's
    accuracy; each promise names the engagement's own model, and is flagged."""
    _seed(org, owner, vendor)
    promising = [
        m for m in Milestone.objects.select_related("engagement") if score_promise(m.title)
    ]
    assert {m.engagement.title.split(" #")[0] for m in promising} >= {"Dynamic pricing pilot"}
    for milestone in promising:
        assert milestone.title == score_promise_for(milestone.engagement)
        assert milestone.title != SCORE_PROMISE  # every demo title has its own
        if "triage" not in milestone.engagement.title:
            assert "intent classifier" not in milestone.title
    assert all(score_promise(title) for title in [*SCORE_PROMISES.values(), SCORE_PROMISE])


def test_running_the_demo_twice_adds_nothing(org, owner, vendor):
    engagements, members = _seed(org, owner, vendor)
    counts = (Milestone.objects.count(), ChecklistItem.objects.count())
    seed_milestones_checklists_log(engagements, members, TODAY)
    assert (Milestone.objects.count(), ChecklistItem.objects.count()) == counts


def test_the_demo_pages_render(client_for, org, owner, vendor):
    engagements, _ = _seed(org, owner, vendor, count=3)
    client = client_for(owner)
    for name in ("milestones", "handover", "decision_log", "detail"):
        assert (
            client.get(reverse(f"engagements:{name}", args=[engagements[0].pk])).status_code == 200
        )
