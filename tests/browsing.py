"""What every browser test needs: Debian's Chromium through Playwright, pages that collect
console errors and CSP violations, log-in, and an axe accessibility check. The fixtures
(`browser`, `page`, `page_for`) live in conftest.py and use these."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_without_chromium() -> None:
    """In CI a missing browser is a failure (the launch fails); locally the test is skipped."""
    if not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true":
        pytest.skip("Debian's chromium is not installed (make test installs it)")


def new_page(browser, *, width: int = 1280, height: int = 900, **options):
    """A page in a fresh context that records console errors and warnings, CSP violations
    included, and uncaught exceptions in `page.problems`."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    return page


def log_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Portfolio").wait_for()


def violations(page) -> list[str]:
    """axe-core's accessibility violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
