"""The board-PDF area for members who may read reports but not make one (QA finding on issue
8): instead of an empty space, it says that none exists yet and who can make one. `reports/`
stays app-agnostic: the wording is the report type's `none_yet`."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.registry import get_report_type

from .conftest import request_job

pytestmark = pytest.mark.django_db
NONE_YET = "No board PDF yet — an owner or admin can make one."


def _gate_area(page: str, number: int) -> str:
    start = page.index(f'id="gate-{number}-report"')
    return page[start : page.index("</article>", start)]


def test_the_report_type_declares_its_wording():
    assert get_report_type("board_gate_summary").none_yet == NONE_YET


def test_a_board_member_reads_that_no_pdf_exists_yet(client_for, engagement, board):
    page = client_for(board).get(reverse("engagements:detail", args=[engagement.pk]))
    html = page.content.decode()
    assert NONE_YET in _gate_area(html, 1)
    assert NONE_YET not in _gate_area(html, 2)  # not reached: nobody can make one yet
    assert "Board PDF</button>" not in html


def test_owners_get_the_button_not_the_note(client_for, engagement, owner):
    html = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    html = html.content.decode()
    assert NONE_YET not in html and "Board PDF</button>" in _gate_area(html, 1)


def test_once_a_pdf_exists_the_board_member_sees_it(
    client_for, reached_gate, engagement, owner, board
):
    request_job(reached_gate, owner)
    html = client_for(board).get(reverse("engagements:detail", args=[engagement.pk]))
    html = html.content.decode()
    assert NONE_YET not in html and "Board go/no-go summary" in _gate_area(html, 1)


def test_vendor_contacts_see_no_report_area_text(client_for, engagement, assigned_vendor):
    html = client_for(assigned_vendor).get(reverse("engagements:detail", args=[engagement.pk]))
    assert NONE_YET not in html.content.decode()
