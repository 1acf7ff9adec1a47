"""An admin invites a colleague by e-mail and the colleague joins, in headless Chromium
against a live server: the mail goes through the Celery backend (eager tasks here) into the
locmem outbox, the invitee opens the link, chooses a name and a password, lands in the
organisation, logs out and logs in again."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import Organisation
from accounts.roles import Role

from .conftest import make_member

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [pytest.mark.browser]

if not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true":
    pytest.skip(
        "Debian's chromium is not installed (make test installs it)", allow_module_level=True
    )


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


def log_in(page, url, email, password):
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Portfolio").wait_for()


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
