"""axe-core (bundled by axe-playwright-python) on every page of the main flow, in Chromium."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from engagements.models import Engagement, Gate
from reports.tasks import render_report

from .browsing import violations
from .conftest import request_job

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_axe_violations(live_server, browser, width, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--engagements", "7", "--password", "demo-pass")
    decided = Gate.objects.filter(decisions__isnull=False).select_related("engagement").first()
    # A report renders with its requester's access, so a member must ask for it.
    job = request_job(decided, decided.engagement.organisation.memberships.get(role="owner").user)
    render_report.apply(args=[job.pk])
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    found = {"login": violations(page)}
    page.get_by_label("Email").fill("owner@demo.example")
    page.get_by_label("Password").fill("demo-pass")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Portfolio").wait_for()
    found["portfolio"] = violations(page)
    page.goto(live_server.url + "/engagements/new/")
    found["new engagement"] = violations(page)
    for engagement in Engagement.objects.all()[:7]:
        page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
        found[f"engagement {engagement.status}"] = violations(page)
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/activity/")
    found["engagement activity"] = violations(page)
    page.goto(f"{live_server.url}/reports/jobs/{job.pk}/")
    page.get_by_role("link", name="Download PDF").wait_for()
    found["report job"] = violations(page)
    context.close()
    assert {name: v for name, v in found.items() if v} == {}
