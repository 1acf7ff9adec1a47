"""Long unbroken text (a pasted URL as a criterion's title) on a phone: the engagement page,
the gate's criteria page and its vote page wrap it instead of scrolling sideways."""

from __future__ import annotations

import pytest

from engagements.enums import CriterionKind
from engagements.models import GateCriterion

from .browsing import log_in, new_page
from .conftest import make_engagement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 375
LONG = "https://example.test/" + "w" * 279  # 300 characters, no spaces


def test_long_unbroken_titles_do_not_widen_the_phone_pages(live_server, browser, org, owner):
    owner.set_password("pw-phone-1")
    owner.save()
    engagement = make_engagement(org, owner, title=LONG[:200])
    gate = engagement.gates.get(number=1)
    GateCriterion.objects.create(
        engagement=engagement, gate=gate, title=LONG, kind=CriterionKind.MUST, position=99
    )
    page = new_page(browser, width=PHONE, height=740)
    log_in(page, live_server.url, owner.email, "pw-phone-1")
    base = f"{live_server.url}/engagements/{engagement.pk}"
    for path in ("/", "/gates/1/criteria/", "/gates/1/vote/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.get_by_text(LONG[:40]).first.is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, f"{path} scrolls sideways to {width}px: {_too_wide(page)}"
        if path == "/":  # the override help names the unmet must-meet criteria
            assert page.locator("form.decide").get_by_text(LONG[:40]).is_visible()
    assert page.problems == []
    page.context.close()


def test_a_link_field_is_styled_like_the_other_text_fields(live_server, browser, org, owner):
    owner.set_password("pw-phone-2")
    owner.save()
    engagement = make_engagement(org, owner)
    page = new_page(browser, width=PHONE, height=740)
    log_in(page, live_server.url, owner.email, "pw-phone-2")
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/gates/1/criteria/")
    page.get_by_role("link", name="Give evidence for “A baseline model built”").click()
    link, note = (
        page.locator("#id_evidence-evidence_link"),
        page.locator("#id_evidence-evidence_note"),
    )
    link.wait_for()
    style = (
        "e => [e.getBoundingClientRect().width, getComputedStyle(e).paddingLeft,"
        " getComputedStyle(e).borderTopColor]"
    )
    assert link.evaluate(style) == note.evaluate(style)
    assert page.problems == []
    page.context.close()


def _too_wide(page) -> list[str]:
    """The elements that stick out of the viewport (outside any scrolling box), for the
    failure message."""
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth, out = [];
        for (const el of document.querySelectorAll("body *")) {
          const box = el.getBoundingClientRect();
          if (box.right <= width + 1 || !box.width) continue;
          let parent = el.parentElement, clipped = false;
          while (parent) {
            if (getComputedStyle(parent).overflowX !== "visible") { clipped = true; break; }
            parent = parent.parentElement;
          }
          const name = `${el.tagName.toLowerCase()}.${el.className}`;
          if (!clipped) out.push(`${name} ${Math.round(box.right)}`);
        }
        return out.slice(0, 8);
      }"""
    )
