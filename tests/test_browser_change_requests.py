"""R26 in a real browser: a vendor contact proposes a change request, the owner approves it,
the plan moves and the budget approved grows. No console or CSP error; no axe violation on
the change-request and invoice pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.roles import Role

from .browsing import ARTIFACTS, log_in, new_page, violations
from .conftest import make_engagement, make_member

pytestmark = pytest.mark.browser


def test_a_vendor_proposes_the_owner_approves_the_plan_moves_and_the_budget_grows(
    live_server, browser, org, owner
):
    engagement = make_engagement(org, owner, start_date=date.today() - timedelta(weeks=3))
    vendor = make_member(org, Role.VENDOR, "vera@northwind.test")
    vendor.first_name, vendor.last_name = "Vera", "Vendor"
    vendor.save()
    engagement.vendor_contacts.add(vendor.memberships.get())
    poc_end = engagement.phases.get(number=1).planned_end
    url = f"{live_server.url}/engagements/{engagement.pk}/"

    proposer = new_page(browser)
    log_in(proposer, live_server.url, "vera@northwind.test", "pw")
    proposer.goto(url)
    assert proposer.get_by_text("Budget approved").count() == 0  # money is internal
    proposer.get_by_role("link", name="All change requests, or propose one").click()
    proposer.get_by_role("heading", name="Change requests", exact=True).wait_for()
    proposer.get_by_label("What should change").fill("Add a second language (Spanish)")
    proposer.get_by_label("Reason").fill("The LatAm team saw the demo and wants it too.")
    proposer.get_by_label("Impact on the plan (weeks)").fill("3")
    proposer.get_by_label("Cost (USD)").fill("18,000")
    proposer.get_by_role("button", name="Propose change").click()
    proposer.get_by_text("Change request “Add a second language (Spanish)” proposed.").wait_for()
    assert "18,000" not in proposer.locator("main").inner_text()
    assert violations(proposer) == []

    approver = new_page(browser)
    log_in(approver, live_server.url, "owner@acme.test", "pw")
    approver.goto(url)
    panel = approver.locator("#money")
    assert "$250,000" in panel.inner_text() and "1 awaiting a decision" in panel.inner_text()
    panel.get_by_role("link", name="Add a second language (Spanish)").click()
    row = approver.locator("tr", has_text="Add a second language (Spanish)")
    assert "Vera Vendor" in row.inner_text() and "$18,000" in row.inner_text()
    row.get_by_role("button", name="Approve").click()
    approver.get_by_text("approved: the plan and budget approved are updated").wait_for()
    assert "plan now ends" in approver.locator("tr", has_text="Add a second").inner_text()

    approver.goto(url)
    phases = approver.locator("tr", has_text="Discovery & PoC").first.inner_text()
    assert f"{poc_end + timedelta(weeks=3):%-d %b %Y}" in phases
    figures = approver.locator("#money").inner_text()
    assert "$268,000" in figures and "1 approved, adding 3 weeks and $18,000" in figures
    ARTIFACTS.mkdir(exist_ok=True)
    approver.screenshot(path=ARTIFACTS / "change-request-approved.png", full_page=True)
    approver.get_by_role("link", name="Invoices and spend per phase").click()
    approver.get_by_role("heading", name="Invoices and spend").wait_for()
    assert violations(approver) == []

    for page in (proposer, approver):
        assert page.problems == [], page.problems
        page.context.close()
