"""The issue's flow in a real browser: two gatekeepers have voted, the owner sees the
readiness and the recommendation beside the decision, records Conditional Go with a
condition, and gate 2 stays closed until the condition is marked done."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.roles import Role
from engagements.enums import VoteChoice
from engagements.models import GateCondition, GateVote

from .browsing import log_in, new_page
from .conftest import make_engagement, make_member

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_conditional_go_keeps_the_next_gate_closed_until_its_condition_is_done(
    live_server, browser, org, owner
):
    engagement = make_engagement(org, owner, start_date=date.today() - timedelta(weeks=6))
    gate = engagement.gates.get(number=1)
    for i, choice in enumerate([VoteChoice.APPROVE, VoteChoice.APPROVE]):
        keeper = make_member(org, Role.BOARD, email=f"keeper{i}@acme.test")
        gate.gatekeepers.add(keeper.memberships.get())
        GateVote.objects.create(gate=gate, voter=keeper, choice=choice, comment="Promising.")
    page = new_page(browser)
    log_in(page, live_server.url, "owner@acme.test", "pw")
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
    card = page.locator("#gate-1")
    assert "Recommended:" in card.inner_text() and "2 of 2 approve" in card.inner_text()
    conditions = card.locator(".conditions-form")
    assert not conditions.is_visible()
    card.get_by_label("Conditional Go", exact=True).check()
    assert conditions.is_visible()
    card.get_by_label("Rationale").fill("Promising on vendor data; confirm on ours.")
    card.get_by_label("Override reason").fill("The board accepts the risk for four weeks.")
    row = card.locator(".condition-row").first
    row.get_by_label("Condition").fill("Evaluate on the client's hold-out set")
    row.get_by_label("Owner").select_option(label="owner@acme.test")
    row.get_by_label("Due").fill((date.today() + timedelta(weeks=4)).isoformat())
    card.get_by_role("button", name="Record decision").click()
    page.get_by_text("Recorded Conditional Go at gate 1.").wait_for()
    gate_2 = page.locator("#gate-2")
    assert "is still open: mark it done first" in gate_2.inner_text()
    assert gate_2.get_by_role("button", name="Record decision").count() == 0

    gate_2.get_by_role("link", name="See the conditions").click()
    page.get_by_label("How it was met").fill("F1 0.87 on the March hold-out set.")
    page.get_by_role("button", name="Mark done").click()
    page.get_by_text("marked done").wait_for()
    assert GateCondition.objects.get().status == "done"
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
    assert page.locator("#gate-2").get_by_role("button", name="Record decision").count() == 1
    assert page.problems == [], page.problems
    page.context.close()
