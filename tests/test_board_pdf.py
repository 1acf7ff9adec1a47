"""The board go/no-go PDF as a board member reads it, and the pages that offer it: every page
carries body text, one font, plan warnings beside the health on page 1, a stopped engagement
that does not look as if it continues, and a PDF made before a later decision marked outdated."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from engagements.enums import BillingModel, Outcome, PhaseStatus
from engagements.models import Phase
from engagements.reports import phase_rows
from reports import tasks
from reports.models import JobStatus, ReportJob

from .conftest import decide, make_engagement, request_job

FOOTER = [
    re.compile(r"Page \d+ of \d+"),
    re.compile(r"[^\n]*generated [^\n]* by Handover\.?", re.I),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def named_owner(owner):
    owner.first_name, owner.last_name = "Ada", "Lovelace"
    owner.save()
    return owner


def render(gate, by) -> ReportJob:
    job = request_job(gate, by)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    return job


def pdf_pages(job: ReportJob) -> list[str]:
    with job.file.open("rb") as handle:
        return [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]


def pdf_fonts(job: ReportJob) -> set[str]:
    with job.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
        return {
            str(font["/BaseFont"]).split("+")[-1]
            for page in reader.pages
            for font in page["/Resources"]["/Font"].values()
            if "/BaseFont" in font.get_object()
        }


def without_footer(text: str) -> str:
    for pattern in FOOTER:
        text = pattern.sub("", text)
    return text.strip()


def healthy_start() -> date:
    """A start date that keeps phase 1 running and on time today."""
    return timezone.localdate() - timedelta(weeks=1)


@pytest.mark.parametrize("paragraphs", [0, 4, 8, 12, 16, 24, 40])
def test_no_page_holds_only_the_footer(org, owner, paragraphs):
    problem = "\n\n".join(["Our AP team keys 4,000 invoices a month by hand."] * paragraphs)
    engagement = make_engagement(org, owner, business_problem=problem or "Manual invoices.")
    job = render(engagement.gates.get(number=1), owner)
    pages = pdf_pages(job)
    for number, text in enumerate(pages, start=1):
        assert len(without_footer(text)) > 20, f"page {number} of {len(pages)} is only a footer"
    # The footer is on every page, the generated-by line included.
    assert all("by Handover" in text and "Page " in text for text in pages)


def test_the_whole_pdf_is_set_in_the_body_font_footer_included(org, owner):
    job = render(make_engagement(org, owner).gates.get(number=1), owner)
    fonts = pdf_fonts(job)
    assert fonts and all(name.startswith("DejaVu-Sans") for name in fonts), fonts


def test_plan_warnings_are_on_page_1_and_the_health_is_not_green(org, named_owner):
    engagement = make_engagement(org, named_owner, start_date=healthy_start())
    # A 14-week, fixed-price PoC: two of the guide's norms broken.
    poc = engagement.phases.get(number=1)
    Phase.objects.filter(pk=poc.pk).update(
        billing_model=BillingModel.FIXED_PRICE, planned_end=poc.planned_start + timedelta(weeks=14)
    )
    page_1 = pdf_pages(render(engagement.gates.get(number=1), named_owner))[0]
    assert "PLAN WARNINGS" in page_1.upper()
    assert "planned for 14 weeks" in page_1 and "fixed price" in page_1
    assert "Amber" in page_1 and "Green" not in page_1


def test_a_plan_within_the_norms_is_green_without_warnings(org, owner):
    engagement = make_engagement(org, owner, start_date=healthy_start())
    page_1 = pdf_pages(render(engagement.gates.get(number=1), owner))[0]
    assert "Green" in page_1 and "PLAN WARNINGS" not in page_1.upper()


def test_after_a_no_go_the_pdf_shows_the_stop_and_no_planned_future(org, named_owner):
    engagement = make_engagement(org, named_owner)
    decide(engagement, 1, Outcome.GO, named_owner, on=date(2026, 3, 2))
    decide(engagement, 2, Outcome.NO_GO, named_owner, on=date(2026, 5, 4))
    text = "\n".join(pdf_pages(render(engagement.gates.get(number=2), named_owner)))
    assert "Stopped on 4 May 2026" in text and "Planned end" not in text
    assert "Cancelled" in text
    # "Planned" is the column heading only: no phase still reads as planned.
    assert text.count("Planned") == 1
    assert "Decided 4 May 2026 by Ada Lovelace" in text
    assert named_owner.email not in text


@pytest.mark.parametrize("later_status", ["planned", "cancelled"])
def test_phases_after_a_stopped_one_read_cancelled_whatever_their_row_says(later_status):
    def phase(number, status):
        return SimpleNamespace(
            number=number, status=status, get_status_display=lambda: status.capitalize()
        )

    phases = [phase(1, "done"), phase(2, PhaseStatus.STOPPED), phase(3, later_status)]
    assert [row["status_label"] for row in phase_rows(phases)] == ["Done", "Stopped", "Cancelled"]


def test_a_pdf_made_before_a_later_decision_is_marked_outdated(client_for, org, named_owner):
    engagement = make_engagement(org, named_owner)
    gate = engagement.gates.get(number=1)
    before = render(gate, named_owner)
    client = client_for(named_owner)
    detail = reverse("engagements:detail", args=[engagement.pk])
    assert "Outdated" not in client.get(detail).content.decode()

    decide(engagement, 1, Outcome.GO, named_owner, on=date(2026, 3, 2))
    reason = (
        "gate 1 was decided Go by Ada Lovelace on 2 Mar 2026 after this version was made "
        "— generate a new version."
    )
    page = client.get(detail).content.decode()
    assert f"<strong>Outdated:</strong> {reason}" in page
    job_page = client.get(reverse("reports:job", args=[before.pk])).content.decode()
    assert f"<strong>Outdated:</strong> {reason}" in job_page
    assert "Generate a new version" in job_page  # the job page offers the remedy too

    # A new version, made after the decision, is current; the page offers it unmarked.
    after = render(gate, named_owner)
    assert "Outdated" not in client.get(detail).content.decode()
    job_page = client.get(reverse("reports:job", args=[after.pk])).content.decode()
    assert "Outdated:" not in job_page and "· outdated" in job_page  # v1 in the versions list


def test_only_roles_that_may_request_are_offered_a_new_version(client_for, org, owner, board):
    engagement = make_engagement(org, owner)
    job = render(engagement.gates.get(number=1), owner)
    url = reverse("reports:job", args=[job.pk])
    assert "Generate a new version" in client_for(owner).get(url).content.decode()
    assert "Generate a new version" not in client_for(board).get(url).content.decode()


def test_marking_outdated_pdfs_costs_the_engagement_page_no_query(client_for, org, owner):
    engagement = make_engagement(org, owner)
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    client = client_for(owner)
    url = reverse("engagements:detail", args=[engagement.pk])
    client.get(url)  # warm the content-type cache
    with CaptureQueriesContext(connection) as without_jobs:
        client.get(url)
    long_ago = timezone.now() - timedelta(days=400)
    for gate in engagement.gates.all():
        job = request_job(gate, owner)
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE, started_at=long_ago, finished_at=long_ago
        )
    with CaptureQueriesContext(connection) as with_jobs:
        page = client.get(url).content.decode()
    assert page.count("Outdated:") == 1  # gate 1 was decided after its PDF; 2 and 3 were not
    assert len(with_jobs) == len(without_jobs)


def test_versions_are_spelt_one_way_on_pages_and_in_the_pdf(client_for, org, owner):
    engagement = make_engagement(org, owner)
    gate = engagement.gates.get(number=1)
    render(gate, owner)
    job = render(gate, owner)
    client = client_for(owner)
    pages = [
        client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode(),
        client.get(reverse("reports:job", args=[job.pk])).content.decode(),
        client.get(reverse("reports:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode(),
        "\n".join(pdf_pages(job)),
    ]
    for text in pages:
        assert "v2" in text
        assert not re.search(r"version \d", text, re.I)
