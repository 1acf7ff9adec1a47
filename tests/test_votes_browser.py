"""Gatekeepers and votes in a real browser: the owner names two gatekeepers, each votes from
the vote page (htmx), voting twice is refused in place; no console or CSP error, no axe
violation, and the vote page works at a phone's width."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.roles import Role

from .browsing import log_in, new_page, violations
from .conftest import make_engagement, make_member

pytestmark = pytest.mark.browser


def test_the_owner_names_gatekeepers_and_they_vote(live_server, browser, org, owner):
    engagement = make_engagement(org, owner, start_date=date.today() - timedelta(weeks=3))
    board = make_member(org, Role.BOARD, "bea@acme.test")
    board.first_name, board.last_name = "Bea", "Board"
    board.save()
    base = f"{live_server.url}/engagements/{engagement.pk}/gates/1"

    page = new_page(browser)
    log_in(page, live_server.url, "owner@acme.test", "pw")
    page.goto(f"{base}/gatekeepers/")
    page.get_by_label("Bea Board (Board member)").check()
    page.get_by_label("owner@acme.test (CTO / VP Engineering)").check()
    page.get_by_label("A majority of gatekeepers approve").check()
    assert violations(page) == []
    page.get_by_role("button", name="Save gatekeepers").click()
    page.get_by_text("E-mailed a link to vote to").wait_for()

    page.goto(f"{base}/vote/")
    page.get_by_label("Approve").check()
    page.get_by_label("Comment").fill("Baseline beats <the> target on our hold-out set.")
    page.get_by_role("button", name="Cast vote").click()
    page.get_by_text("Your vote on gate 1: Approve.").wait_for()
    assert "1 of 2 approve (majority needed: 2) · 1 pending" in page.locator("main").inner_text()
    assert page.problems == []

    phone = new_page(browser, width=375, height=740)
    log_in(phone, live_server.url, "bea@acme.test", "pw")
    phone.goto(f"{base}/vote/")
    assert "Baseline beats <the> target" in phone.locator("main").inner_text()
    phone.get_by_label("Reject").check()
    phone.get_by_label("Comment").fill("The data-handling agreement is not signed.")
    phone.get_by_role("button", name="Cast vote").click()
    phone.get_by_text("Your vote on gate 1: Reject.").wait_for()
    main = phone.locator("main").inner_text()
    assert "1 of 2 approve (majority needed: 2) · 1 rejects" in main
    assert "The votes do not approve" in main
    scroll_width = phone.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375
    assert violations(phone) == []
    assert phone.problems == []
