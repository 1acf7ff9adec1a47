"""The portfolio in headless Chromium, on a laptop and on a phone: the summary strip and the
KPI sparklines, paging, and filtering by health and phase (htmx swaps the results and keeps the
address in step), without a console or CSP error."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from .browsing import ARTIFACTS, log_in, new_page

pytestmark = pytest.mark.browser

ROWS = "table.portfolio tbody tr"


def _engagements_in_summary(page) -> int:
    strip = page.locator(".summary-strip")
    return int(strip.locator("dt:text('Engagements') + dd").inner_text())


def _walk(page, base_url: str, name: str) -> None:
    log_in(page, base_url, "owner@demo.example", "demo-pass")
    strip = page.locator(".summary-strip")
    assert "Gates due in the next 30 days" in strip.inner_text()
    assert "Spent to date" in strip.inner_text() and "By health" in strip.inner_text()
    assert _engagements_in_summary(page) == 60
    assert page.locator(ROWS).count() == 50
    sparkline = page.locator("svg.spark").first
    assert sparkline.is_visible() and "on client data" in sparkline.get_attribute("aria-label")

    # Page 2: the ten left, the address says so.
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.get_by_text("Page 2 of 2", exact=True).wait_for()
    assert page.locator(ROWS).count() == 10

    # Health, then phase: htmx swaps the results, back to page 1, filters in the address.
    page.get_by_label("Health").select_option("red")
    page.wait_for_url(re.compile(r"health=red"))
    red = _engagements_in_summary(page)
    assert 0 < red < 60 and page.locator(ROWS).count() == red
    for label in page.locator(f"{ROWS} .health").all_inner_texts():
        assert label == "Red"
    page.get_by_label("Phase").select_option("1")
    page.wait_for_url(re.compile(r"phase=1.*health=red|health=red.*phase=1"))
    both = _engagements_in_summary(page)
    assert both <= red and page.locator(ROWS).count() == both
    for cell in page.locator(f"{ROWS} td[data-label=Phase]").all_inner_texts():
        assert cell.startswith("1. Discovery & PoC")
    page.screenshot(path=ARTIFACTS / f"portfolio-filtered-{name}.png", full_page=True)

    # Reloading the address shows the same thing without JavaScript's help.
    page.reload()
    assert page.get_by_label("Health").input_value() == "red"
    assert _engagements_in_summary(page) == both
    page.wait_for_load_state("networkidle")  # no request thread may outlive the test database
    assert page.problems == []


def test_the_portfolio_filters_and_pages_on_a_laptop(live_server, page):
    call_command("seed_demo", "--engagements", "60", "--password", "demo-pass")
    ARTIFACTS.mkdir(exist_ok=True)
    _walk(page, live_server.url, "laptop")


def test_the_portfolio_filters_and_pages_on_a_phone(live_server, browser):
    call_command("seed_demo", "--engagements", "60", "--password", "demo-pass")
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_page(browser, width=390, height=844, is_mobile=True)
    try:
        _walk(page, live_server.url, "phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"the portfolio is {width}px wide on a 390px phone"
    finally:
        page.context.close()
