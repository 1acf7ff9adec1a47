"""In Chromium against a live server: a vendor contact logs a decision, marks a checklist item
inline (htmx), and the owner finds the decision by searching the log. Pages pass axe."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from accounts.roles import Role

from .browsing import log_in, new_page, violations
from .conftest import make_engagement, make_member

pytestmark = pytest.mark.browser


def test_a_vendor_logs_a_decision_and_the_owner_finds_it_by_search(live_server, browser, org):
    owner = make_member(org, Role.OWNER, "owner@acme.test")
    vendor = make_member(org, Role.VENDOR, "lead@northwind.test")
    vendor.first_name, vendor.last_name = "Vera", "Vendor"
    vendor.save()
    engagement = make_engagement(org, owner, start_date=date(2026, 1, 5))
    engagement.vendor_contacts.add(vendor.memberships.get())
    log_url = f"{live_server.url}/engagements/{engagement.pk}/decision-log/"
    found = {}

    page = new_page(browser)
    log_in(page, live_server.url, "lead@northwind.test", "pw")
    page.goto(log_url)
    page.get_by_role("heading", name="Decision log").wait_for()
    found["decision log (vendor)"] = violations(page)
    form = page.locator("#log-a-decision")
    form.get_by_label("Date").fill(timezone.localdate().isoformat())
    form.get_by_label("Category").select_option(label="Feature engineering")
    form.get_by_label("Context").fill("Ticket text mixes English and Spanish.")
    form.get_by_label("Decision").fill("Translate Spanish tickets before embedding.")
    form.get_by_label("Consequences").fill("Adds 40 ms per ticket.")
    form.get_by_role("button", name="Log decision").click()
    page.get_by_text("Decision logged.").wait_for()
    assert page.get_by_role("heading", name="Translate Spanish tickets before embedding.").count()

    # The checklist: an MLOps item marked inline, without leaving the page.
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/handover/")
    found["handover (vendor)"] = violations(page)
    item = page.locator("li", has_text="Model versioning").first
    item.get_by_role("link", name="Update").click()
    item = page.locator("li.checklist-item", has_text="Model versioning").first
    item.get_by_label("Status").select_option(label="Done")
    item.get_by_role("button", name="Save item").click()
    page.get_by_text("“Model versioning” saved.").wait_for()
    page.locator("#progress-mlops", has_text="1 of 6 done").wait_for()
    assert page.problems == []
    page.context.close()

    page = new_page(browser)
    log_in(page, live_server.url, "owner@acme.test", "pw")
    page.goto(log_url)
    page.get_by_label("Search the decision log").fill("spanish embedding")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("1 entry matches").wait_for()
    entry = page.locator("article.decision-entry")
    assert entry.count() == 1
    assert "by Vera Vendor" in entry.inner_text()
    assert "q=spanish" in page.url  # the search is in the address, to share or come back to
    found["decision log search (owner)"] = violations(page)
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/milestones/")
    found["milestones (owner)"] = violations(page)
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/handover/")
    found["handover (owner)"] = violations(page)
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
    page.get_by_role("heading", name="Handover readiness").wait_for()
    found["engagement (owner)"] = violations(page)
    assert page.problems == []
    page.context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_saving_an_item_or_a_milestone_on_its_own_page_returns_to_its_list(
    live_server, browser, org, settings, tmp_path
):
    """No dead end and no console error (htmx:oobErrorNoTarget): saved on their own pages, a
    checklist item and a milestone go back to their lists with the message; the current
    evidence document is a working link named by its file, not a /media/ path."""
    from django.core.files.base import ContentFile

    from engagements.models import Milestone

    settings.MEDIA_ROOT = tmp_path
    owner = make_member(org, Role.OWNER, "owner@acme.test")
    engagement = make_engagement(org, owner, start_date=date(2026, 1, 5))
    item = engagement.checklist_items.get(key="kt_runbook")
    milestone = Milestone(
        engagement=engagement,
        phase=engagement.phases.get(number=2),
        title="Pipeline in staging",
        due_date=date(2026, 4, 6),
    )
    milestone.evidence_document.save("staging.pdf", ContentFile(b"%PDF-1.7 deployed"))
    page = new_page(browser)
    log_in(page, live_server.url, "owner@acme.test", "pw")

    page.goto(f"{live_server.url}/engagements/{engagement.pk}/handover/{item.pk}/")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_role("button", name="Save item").click()
    page.get_by_role("heading", name="Handover checklists").wait_for()
    page.get_by_text(f"“{item.title}” saved.").wait_for()
    page.locator("#progress-knowledge_transfer").wait_for()

    page.goto(f"{live_server.url}/engagements/{engagement.pk}/milestones/{milestone.pk}/")
    link = page.get_by_role("link", name="staging.pdf")
    assert "/media/" not in link.get_attribute("href")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "staging.pdf"
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_role("button", name="Save milestone").click()
    page.get_by_role("heading", name="Milestones", exact=True).wait_for()
    page.get_by_text("Milestone “Pipeline in staging” saved.").wait_for()
    assert page.problems == []
    page.context.close()
