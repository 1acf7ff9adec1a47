"""The Celery task that renders a report job to PDF; safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership

from .models import JobStatus, ReportJob
from .registry import REPORT_TYPES
from .rendering import render_pdf

log = logging.getLogger(__name__)
MAX_RETRIES = 3
# A job "running" longer than the hard time limit belongs to a worker that died.
STALE_AFTER = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
# A job still "queued" this long lost its message (a broker restart, say).
LOST_AFTER = timedelta(minutes=10)


class PermanentReportError(Exception):
    """A failure that retrying cannot fix (the subject is gone, the kind is unknown)."""


@shared_task(bind=True, max_retries=MAX_RETRIES)
def render_report(self, job_id: int) -> None:
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == JobStatus.DONE:
        return  # nothing to do: a redelivered message for finished work stays idempotent
    if not job.claim(stale_after=STALE_AFTER):
        if job.status == JobStatus.RUNNING and self.request.retries < self.max_retries:
            # Another worker's run, or a dead one's redelivered message: look again once the
            # run would count as stale, rather than dropping the job.
            wait = (job.started_at + STALE_AFTER - timezone.now()).total_seconds()
            raise self.retry(countdown=max(int(wait), 1))
        return
    try:
        _render(job)
    except Exception as exc:
        _handle_failure(self, job, exc)


def _render(job: ReportJob) -> None:
    report_type = REPORT_TYPES.get(job.kind)
    if report_type is None:
        raise PermanentReportError(f"unknown report kind {job.kind!r}")
    job.set_progress(15, "Collecting the engagement's data")
    try:
        subject = job.subject
        if subject is None:
            raise ObjectDoesNotExist
        # A report shows no more than the member who asked for it may read.
        membership = Membership.objects.filter(
            user_id=job.requested_by_id, organisation_id=job.organisation_id
        ).first()
        if membership is None:
            raise PermanentReportError("the member who asked for this report has left")
        context = report_type.build_context(subject, membership)
    except ObjectDoesNotExist as exc:
        raise PermanentReportError("the object this report describes no longer exists") from exc
    job.set_progress(40, "Laying out the pages")
    context |= {"job": job, "generated_at": timezone.now()}
    pdf = render_pdf(report_type.template, context)
    job.set_progress(85, "Storing the file")
    # The same name on every run, old file replaced: rendering twice leaves one current file.
    relative = f"{job.organisation_id}/{job.filename}"
    target = job.file.field.generate_filename(job, relative)
    if job.file and job.file.name != target:
        job.file.storage.delete(job.file.name)
    job.file.storage.delete(target)
    job.file.save(relative, ContentFile(pdf), save=False)
    job.status, job.progress, job.step = JobStatus.DONE, 100, "Ready"
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "progress", "step", "finished_at"])
    log.info("report job %s rendered (%d bytes)", job.pk, len(pdf))


def _handle_failure(task, job: ReportJob, exc: Exception) -> None:
    permanent = isinstance(exc, PermanentReportError)
    retries_left = task.request.retries < task.max_retries
    if not permanent and retries_left and not isinstance(exc, SoftTimeLimitExceeded):
        countdown = get_exponential_backoff_interval(
            factor=5, retries=task.request.retries, maximum=300, full_jitter=True
        )
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.RETRYING,
            step=f"Attempt {job.attempts} failed; retrying in {countdown} s",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            sent_at=timezone.now() + timedelta(seconds=countdown),
        )
        log.warning("report job %s failed, retrying: %s", job.pk, exc)
        raise task.retry(exc=exc, countdown=countdown)
    log.exception("report job %s failed for good", job.pk)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        step="Failed",
        error=f"{type(exc).__name__}: {exc}"[:2000],
        finished_at=timezone.now(),
    )


@shared_task
def requeue_stale_jobs() -> int:
    """Periodic: send again the jobs whose worker died or whose message was lost, and fail
    those that have used up their attempts. Claiming keeps a resend from running twice, and
    a resend counts as an attempt, so a job no worker takes ends failed, not resent forever."""
    now = timezone.now()
    stale = ReportJob.objects.filter(
        status=JobStatus.RUNNING, started_at__lt=now - STALE_AFTER
    ) | ReportJob.objects.filter(
        status__in=[JobStatus.QUEUED, JobStatus.RETRYING], sent_at__lt=now - LOST_AFTER
    )
    resent = 0
    for job in stale:
        if job.attempts > MAX_RETRIES:
            ReportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=JobStatus.FAILED,
                step="Failed",
                error="No worker finished this report after every attempt; "
                "check that the Celery worker is running.",
                finished_at=now,
            )
            continue
        # A resend of a job no worker claimed counts as an attempt (a claim counts the others).
        unclaimed = 0 if job.status == JobStatus.RUNNING else 1
        sent = ReportJob.objects.filter(pk=job.pk, status=job.status).update(
            sent_at=now, attempts=F("attempts") + unclaimed
        )
        if sent:
            render_report.delay(job.pk)
            resent += 1
    return resent
