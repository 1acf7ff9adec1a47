"""The report pipeline in-process (eager tasks); test_worker.py runs it on a real worker."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from engagements.models import Outcome
from reports import tasks
from reports.models import JobStatus, ReportJob
from reports.rendering import ForbiddenFetch, refuse_fetch

from .conftest import decide, make_engagement, request_job


def pdf_text(job: ReportJob) -> str:
    with job.file.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


@pytest.fixture
def decided_gate(engagement, owner):
    return decide(engagement, 1, Outcome.GO, owner).gate


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def request_pdf(client, gate, **extra):
    return client.post(reverse("reports:board_summary", args=[gate.pk]), **extra)


@pytest.mark.django_db(transaction=True)
def test_board_pdf_is_rendered_with_title_decision_and_kpis(client_for, owner, org):
    engagement = make_engagement(org, owner, title="Invoice extraction — <b>EU</b>")
    gate = decide(engagement, 1, Outcome.GO, owner, rationale="Baseline F1 0.81.").gate
    response = request_pdf(client_for(owner), gate)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:job", args=[job.pk])
    assert job.status == JobStatus.DONE and job.progress == 100 and job.attempts == 1
    text = pdf_text(job)
    assert "Invoice extraction — <b>EU</b>" in text
    assert "decision recorded" in text.lower() and "Baseline F1 0.81." in text
    assert "\nGo\n" in text
    assert "Manual tickets" in text and "Discovery & PoC" in text and "$250,000" in text


@pytest.mark.django_db(transaction=True)
def test_htmx_request_returns_the_status_partial_and_download_works(client_for, owner, org):
    gate = make_engagement(org, owner).gates.get(number=1)
    client = client_for(owner)
    response = request_pdf(client, gate, HTTP_HX_REQUEST="true")
    job = ReportJob.objects.get()
    assert "<html" not in response.content.decode()
    status = client.get(reverse("reports:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "Download PDF" in status.content.decode()
    assert 'hx-trigger="every 1s"' not in status.content.decode()  # finished: polling stops
    download = client.get(reverse("reports:download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "decision requested" in pdf_text(job).lower()


def test_a_queued_job_polls_until_it_finishes(client_for, owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    page = client_for(owner).get(reverse("reports:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert 'hx-trigger="every 1s"' in body and "<progress" in body


def test_each_request_is_a_new_version_and_earlier_files_are_kept(owner, decided_gate, org):
    jobs = [request_job(decided_gate, owner) for _ in range(2)]
    for job in jobs:
        tasks.render_report.apply(args=[job.pk])
    assert [j.version for j in jobs] == [1, 2]
    names = {ReportJob.objects.get(pk=j.pk).file.name for j in jobs}
    assert len(names) == 2


def test_running_the_task_twice_leaves_one_current_file(owner, decided_gate, org, tmp_path):
    job = request_job(decided_gate, owner)
    tasks.render_report.apply(args=[job.pk])
    first = ReportJob.objects.get(pk=job.pk).file.name
    # A redelivered message after success changes nothing …
    tasks.render_report.apply(args=[job.pk])
    # … and a forced re-render writes the same name, not a second file.
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.file.name == first and job.status == JobStatus.DONE
    assert len(list((tmp_path / "reports").rglob("*.pdf"))) == 1


def test_transient_failures_are_retried_then_shown_honestly(owner, decided_gate, org, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(tasks, "render_pdf", broken)
    job = request_job(decided_gate, owner)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert job.status == JobStatus.FAILED and "disk full" in job.error
    assert not job.file


def test_a_missing_subject_fails_at_once_without_retrying(owner, decided_gate, org, monkeypatch):
    job = request_job(decided_gate, owner)
    ReportJob.objects.filter(pk=job.pk).update(object_id=999_999)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 1
    assert "no longer exists" in job.error


def test_a_running_job_is_not_claimed_twice(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    assert job.claim(stale_after=timedelta(minutes=3))
    assert not job.claim(stale_after=timedelta(minutes=3))
    assert job.claim(stale_after=timedelta(seconds=-1))  # a dead worker's job is reclaimed


def test_reports_refuse_to_fetch_files_or_urls():
    for url in ("file:///etc/passwd", "http://169.254.169.254/", "https://example.com/x.png"):
        with pytest.raises(ForbiddenFetch):
            refuse_fetch(url)


def test_a_pdf_for_a_gate_not_yet_reached_is_refused_with_a_reason(client_for, owner, engagement):
    gate = engagement.gates.get(number=3)
    response = request_pdf(client_for(owner), gate)
    assert response.status_code == 409
    assert "Gate 3 is not reached yet" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_a_job_another_worker_runs_is_looked_at_again_not_dropped(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and not job.file  # left to the other worker


def test_the_sweeper_rescues_a_job_whose_worker_died(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    died = timezone.now() - tasks.STALE_AFTER - timedelta(seconds=1)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=died, attempts=1
    )
    assert tasks.requeue_stale_jobs.apply().get() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.file and job.attempts == 2


def test_the_sweeper_resends_a_job_whose_message_was_lost(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    lost = timezone.now() - tasks.LOST_AFTER - timedelta(seconds=1)
    ReportJob.objects.filter(pk=job.pk).update(sent_at=lost)
    tasks.requeue_stale_jobs.apply()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


def test_a_job_no_worker_takes_is_resent_a_few_times_then_failed(
    owner, decided_gate, org, monkeypatch
):
    job = request_job(decided_gate, owner)
    monkeypatch.setattr(tasks.render_report, "delay", lambda job_id: None)  # no worker at all
    for _ in range(tasks.MAX_RETRIES + 2):
        ReportJob.objects.filter(pk=job.pk).update(
            sent_at=timezone.now() - tasks.LOST_AFTER - timedelta(seconds=1)
        )
        tasks.requeue_stale_jobs.apply()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker is running" in job.error


def test_a_job_waiting_out_its_retry_backoff_is_not_resent(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RETRYING,
        created_at=timezone.now() - timedelta(hours=1),
        sent_at=timezone.now() + timedelta(minutes=4),
    )
    assert tasks.requeue_stale_jobs.apply().get() == 0


def test_the_sweeper_fails_a_job_that_used_up_its_attempts(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    died = timezone.now() - tasks.STALE_AFTER - timedelta(seconds=1)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=died, attempts=tasks.MAX_RETRIES + 1
    )
    assert tasks.requeue_stale_jobs.apply().get() == 0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker is running" in job.error


def test_the_sweeper_leaves_healthy_jobs_alone(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    assert tasks.requeue_stale_jobs.apply().get() == 0


def test_the_engagement_page_shows_each_gates_newest_version(client_for, owner, decided_gate, org):
    for _ in range(3):
        request_job(decided_gate, owner)
    latest = ReportJob.objects.latest_by_subject("board_gate_summary", [decided_gate])
    assert latest[decided_gate.pk].version == 3
    page = client_for(owner).get(reverse("engagements:detail", args=[decided_gate.engagement_id]))
    assert "version 3" in page.content.decode()


def test_report_jobs_go_with_their_gate(owner, org):
    engagement = make_engagement(org, owner)
    request_job(engagement.gates.get(number=1), owner)
    engagement.delete()
    assert not ReportJob.objects.exists()
