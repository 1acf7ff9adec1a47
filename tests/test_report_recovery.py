"""How a report job recovers, by its one path: claimed with a conditional update, acknowledged
late, and swept — resent when its message was lost or its worker died, failed when no worker
ever takes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports import tasks
from reports.models import JobStatus, ReportJob

from .conftest import request_job


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_redelivered_message_for_a_running_job_leaves_it_to_its_worker(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and not job.file and job.attempts == 0


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


def test_a_resend_follows_a_lost_message_within_a_few_minutes(settings):
    sweep = settings.CELERY_BEAT_SCHEDULE["requeue-stale-reports"]
    assert sweep["task"] == "reports.tasks.requeue_stale_jobs"
    assert timedelta(seconds=sweep["schedule"]) + tasks.LOST_AFTER <= timedelta(minutes=3)


def test_a_starting_worker_resends_jobs_queued_while_none_was_up(owner, decided_gate, org):
    from celery.signals import worker_ready

    job = request_job(decided_gate, owner)
    lost = timezone.now() - tasks.LOST_AFTER - timedelta(seconds=1)
    ReportJob.objects.filter(pk=job.pk).update(sent_at=lost)
    worker_ready.send(sender=None)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.file


def test_a_resent_job_is_not_resent_again_at_the_next_round(owner, decided_gate, org, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.render_report, "delay", sent.append)  # the worker is busy
    job = request_job(decided_gate, owner)
    lost = timezone.now() - tasks.LOST_AFTER - timedelta(seconds=1)
    ReportJob.objects.filter(pk=job.pk).update(sent_at=lost)
    assert tasks.requeue_stale_jobs.apply().get() == 1
    assert tasks.requeue_stale_jobs.apply().get() == 0
    assert sent == [job.pk]
