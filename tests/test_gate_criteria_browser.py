"""The gate criteria page in Chromium: no console errors or axe violations on a laptop and a
phone, and an owner edits a criterion and gives evidence in place with htmx."""

from __future__ import annotations

import pytest

from engagements.models import GateCriterion

from .browsing import log_in, new_page, violations
from .conftest import make_engagement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_owner_edits_criteria_and_gives_evidence_in_place(live_server, browser, org, owner, width):
    owner.set_password("pw-criteria-1")
    owner.save()
    engagement = make_engagement(org, owner)
    page = new_page(browser, width=width)
    log_in(page, live_server.url, owner.email, "pw-criteria-1")
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
    page.get_by_role("link", name="Criteria and evidence of gate 1").click()
    page.get_by_role("heading", name="Gate 1: criteria and evidence").wait_for()
    assert violations(page) == []

    page.get_by_role("link", name="Give evidence for “A baseline model built”").click()
    page.locator("#id_evidence-evidence_note").fill("Baseline AUC 0.71 on last year's tickets.")
    page.get_by_role("button", name="Save evidence").click()
    page.get_by_text("saved, dated today").wait_for()
    assert page.get_by_text("Should-meet score: 100%").is_visible()

    page.get_by_role("link", name="Edit “Data readiness assessed”").click()
    page.locator("#id_edit-weight").fill("0")
    page.get_by_role("button", name="Save criterion").click()
    page.get_by_text("A weight is a whole number from 1 to 10").wait_for()
    assert violations(page) == []
    assert page.problems == []
    baseline = GateCriterion.objects.get(gate__engagement=engagement, key="baseline_model")
    assert baseline.evidence_note.startswith("Baseline AUC")
    page.context.close()
