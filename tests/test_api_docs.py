"""The interactive API docs and the API tokens page in headless Chromium: our own static files
only, the strict CSP, no console or CSP errors, no axe violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from api.models import ApiToken, hash_token

from .browsing import new_page, violations
from .conftest import make_engagement

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [pytest.mark.browser]


@pytest.fixture
def logged_in_page(browser, live_server, owner):
    """A page whose browser carries `owner`'s session cookie."""
    client = Client()
    client.force_login(owner)
    page = new_page(browser)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    yield page
    page.context.close()


def test_the_docs_load_from_our_static_files_and_try_a_route(
    live_server, logged_in_page, org, owner
):
    make_engagement(org, owner, title="Docs-visible engagement")
    page = logged_in_page
    outside = []
    page.on(
        "request",
        lambda r: (
            not r.url.startswith(live_server.url)
            and not r.url.startswith("data:")
            and outside.append(r.url)
        ),
    )
    page.goto(live_server.url + "/api/docs")
    page.get_by_role("heading", name="Handover API").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"

    # Try the list route with the session, as a member exploring the API would.
    page.locator("#operations-engagements-engagements_api_engagement_list").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status").first.wait_for()
    body = page.locator(".live-responses-table .microlight").first.inner_text()
    assert "Docs-visible engagement" in body

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "api-docs.png", full_page=False)
    page.wait_for_load_state("networkidle")  # no request thread may outlive the test database
    assert outside == [], outside
    assert page.problems == [], page.problems


def test_a_member_creates_copies_and_revokes_a_token(live_server, logged_in_page, owner):
    page = logged_in_page
    page.goto(live_server.url + "/account/tokens/")
    page.get_by_role("heading", name="API tokens", level=1).wait_for()
    assert violations(page) == []

    page.get_by_label("Name").fill("Vendor metrics pipeline")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_role("textbox", name="Token", exact=True).input_value()
    assert hash_token(secret) == ApiToken.objects.get().key_hash
    assert violations(page) == []

    page.get_by_role("link", name="Revoke “Vendor metrics pipeline”").click()
    page.get_by_role("heading", name="Revoke “Vendor metrics pipeline”?").wait_for()
    assert violations(page) == []
    page.get_by_role("button", name="Revoke token").click()
    page.get_by_text("Token “Vendor metrics pipeline” revoked").wait_for()
    assert secret not in page.content()
    assert ApiToken.objects.get().revoked_at is not None
    page.wait_for_load_state("networkidle")
    assert page.problems == [], page.problems
