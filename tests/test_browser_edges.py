"""The gate flow's edges in a real browser: two tabs deciding the same gate, a session that
expires before a decision is posted, a role taken away while the page is open, and the
Recycle-only end date. Every flow ends without a console or CSP error."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.roles import Role

from .browsing import ARTIFACTS, log_in, new_page
from .conftest import make_engagement

pytestmark = pytest.mark.browser


@pytest.fixture
def started(org, owner):
    owner.first_name, owner.last_name = "Olivia", "Owens"
    owner.save()
    return make_engagement(org, owner, start_date=date.today() - timedelta(weeks=6))


def open_engagement(browser, live_server, engagement, email="owner@acme.test"):
    page = new_page(browser)
    log_in(page, live_server.url, email, "pw")
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
    return page


def record(page, outcome: str, rationale: str) -> None:
    gate = page.locator("#gate-1")
    gate.get_by_label(outcome, exact=True).check()
    gate.get_by_label("Rationale").fill(rationale)
    # Gate 1's criteria are unmet: Go needs an override (issue 8).
    gate.get_by_label("Override reason").fill("Decided in a test without evidence.")
    gate.get_by_role("button", name="Record decision").click()


def test_a_second_tab_is_told_the_gate_was_decided(live_server, browser, started):
    first = open_engagement(browser, live_server, started)
    second = open_engagement(browser, live_server, started)
    record(first, "Go", "Baseline beats the threshold.")
    first.get_by_text("Recorded Go at gate 1.").wait_for()

    record(second, "No-Go", "The stale tab wants to stop.")
    alert = second.locator("#gate-1 [role=alert]")
    alert.wait_for()
    assert "Gate 1 was already decided: Go" in alert.inner_text()
    assert "by Olivia Owens" in alert.inner_text()
    # The refused No-Go did not move into gate 2's form.
    gate_2 = second.locator("#gate-2")
    assert gate_2.get_by_label("No-Go", exact=True).is_checked() is False
    assert "The stale tab wants to stop." not in gate_2.inner_html()
    ARTIFACTS.mkdir(exist_ok=True)
    second.screenshot(path=ARTIFACTS / "stale-tab.png", full_page=True)
    for page in (first, second):
        assert page.problems == [], page.problems
        page.context.close()


def test_an_expired_session_goes_to_log_in_and_back(live_server, browser, started):
    page = open_engagement(browser, live_server, started)
    page.context.clear_cookies(name="sessionid")  # the session expired while the page was open
    record(page, "Go", "Posted after the session expired.")
    page.get_by_role("heading", name="Log in").wait_for()
    assert f"next=/engagements/{started.pk}/" in page.url.replace("%2F", "/")
    assert page.locator("#engagement-body").count() == 0  # not swapped into the page
    page.get_by_label("Email").fill("owner@acme.test")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=started.title).wait_for()
    assert page.problems == [], page.problems
    page.context.close()


def test_a_role_taken_away_meanwhile_is_explained_in_place(live_server, browser, started, owner):
    page = open_engagement(browser, live_server, started)
    owner.memberships.update(role=Role.BOARD)  # an admin demoted them a moment ago
    record(page, "Go", "Too late to decide.")
    message = page.locator("#messages")
    message.get_by_text("does not allow this").wait_for()
    assert page.problems == [], page.problems
    page.context.close()


def test_the_new_end_date_shows_only_for_recycle(live_server, browser, started):
    page = open_engagement(browser, live_server, started)
    gate = page.locator("#gate-1")
    end_date = gate.get_by_label("New end date of the phase")
    assert not end_date.is_visible()
    gate.get_by_label("Recycle", exact=True).check()
    assert end_date.is_visible()
    end_date.fill((date.today() + timedelta(weeks=4)).isoformat())
    gate.get_by_label("Go", exact=True).check()  # changed their mind: the date goes away…
    assert not end_date.is_visible()
    gate.get_by_label("Rationale").fill("Go after all.")
    gate.get_by_label("Override reason").fill("Decided in a test without evidence.")
    gate.get_by_role("button", name="Record decision").click()
    page.get_by_text("Recorded Go at gate 1.").wait_for()  # …and does not block the Go
    assert page.problems == [], page.problems
    page.context.close()


def test_after_an_invalid_decision_the_focus_is_on_what_to_fix(live_server, browser, started):
    page = open_engagement(browser, live_server, started)
    gate = page.locator("#gate-1")
    gate.get_by_label("Go", exact=True).check()
    gate.get_by_role("button", name="Record decision").click()  # no rationale
    page.get_by_text("Say why: the rationale is part of the record.").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.name === 'rationale'")
    assert page.problems == [], page.problems
    page.context.close()
