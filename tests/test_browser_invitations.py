"""An admin invites a colleague by e-mail and the colleague joins, in headless Chromium
against a live server: the mail goes through the Celery backend (eager tasks here) into the
locmem outbox, the invitee opens the link, chooses a name and a password, lands in the
organisation, logs out and logs in again."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import Organisation
from accounts.roles import Role

from .browsing import ARTIFACTS, log_in, violations
from .conftest import make_member

pytestmark = [pytest.mark.browser]


def test_admin_invites_and_the_invitee_joins(live_server, page, settings, mail_via_worker):
    settings.SITE_URL = live_server.url
    org = Organisation.objects.create(name="Acme", slug="acme")
    make_member(org, Role.ADMIN, "admin@acme.test")

    log_in(page, live_server.url, "admin@acme.test", "pw")
    page.get_by_role("link", name="Members").click()
    page.get_by_role("heading", name="Members", exact=True).wait_for()
    invite = page.locator("form", has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("Email").fill("nina@example.com")
    invite.get_by_label("Role").select_option(label="Board member")
    invite.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to nina@example.com as Board member.").wait_for()
    pending = page.locator("table.invitations")
    assert "nina@example.com" in pending.inner_text()
    found = {"members": violations(page)}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "members.png", full_page=True)

    [message] = mail.outbox
    assert message.to == ["nina@example.com"]
    link = re.search(r"http://\S+/accounts/invitations/\S+/", message.body).group(0)
    assert link.startswith(live_server.url)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()

    page.goto(link)
    page.get_by_role("heading", name="Join Acme").wait_for()
    found["invitation"] = violations(page)
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Newcomer")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a long enough passphrase")
    page.get_by_label("Password again").fill("a long enough passphrase")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text("Welcome to Acme").wait_for()
    page.get_by_role("heading", name="Portfolio").wait_for()
    assert "Nina Newcomer · Board member" in page.locator(".site-header").inner_text()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    log_in(page, live_server.url, "nina@example.com", "a long enough passphrase")
    assert "Acme" in page.locator(".site-header").inner_text()
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("heading", name="Profile").wait_for()
    found["profile"] = violations(page)
    page.screenshot(path=ARTIFACTS / "profile.png", full_page=True)
    assert {name: v for name, v in found.items() if v} == {}

    assert page.problems == [], page.problems

    # The link worked once (the browser logs the 410 Gone; nothing else).
    page.goto(link)
    page.get_by_role("heading", name="This invitation has already been used").wait_for()
    page.wait_for_load_state("networkidle")  # no request thread may outlive the test database
    assert all("410" in problem for problem in page.problems), page.problems
