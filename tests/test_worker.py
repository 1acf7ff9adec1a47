"""The report pipeline end to end on a real Celery worker (not eager mode).

In CI the broker is the machine's Redis and the database PostgreSQL (conftest insists); locally,
without CELERY_BROKER_URL, the same worker consumes from kombu's in-memory transport.
"""

from __future__ import annotations

import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from engagements.models import Outcome
from reports.models import JobStatus, ReportJob

from .conftest import decide, make_engagement

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(job: ReportJob, timeout: float = 90) -> ReportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"report job still {job.status} after {timeout} s: {job.step} {job.error}")


def test_a_real_worker_renders_the_board_pdf_with_title_and_decision(
    real_worker, client_for, org, owner
):
    engagement = make_engagement(org, owner, title="Fraud screening for card payments")
    gate = decide(
        engagement, 1, Outcome.GO, owner, rationale="Precision 0.91 at a 1% alert rate."
    ).gate
    client = client_for(owner)
    response = client.post(reverse("reports:request", args=["board_gate_summary", gate.pk]))
    job = ReportJob.objects.get()
    assert response.status_code == 302
    job = wait_for(job)
    assert job.status == JobStatus.DONE, job.error
    assert job.progress == 100
    download = client.get(reverse("reports:download", args=[job.pk]))
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages
    )
    assert "Fraud screening for card payments" in text
    assert "decision recorded" in text.lower() and "Precision 0.91 at a 1% alert rate." in text
