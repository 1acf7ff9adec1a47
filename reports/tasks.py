"""The Celery task that renders a report job to PDF, and the sweeper: the one recovery path.

1. A request creates a queued job and sends its message on commit (`service.request_report`).
2. A worker claims the job with a conditional UPDATE (queued/retrying → running): of two
   deliveries of one message, one renders and the other returns. Messages are acknowledged
   late and rejected when a worker is lost, so a crash before the claim is redelivered.
3. A transient render error retries with exponential backoff (status "retrying"); a permanent
   one (the subject is gone) fails at once.
4. Everything else is the sweeper's (`requeue_stale_jobs`, beat every minute and once when a
   worker starts): a job still queued with no message for LOST_AFTER is resent, a job left
   running past the hard time limit is queued again and resent, and a job that used up its
   attempts is failed with a reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership

from .models import JobStatus, ReportJob
from .registry import get_report_type
from .rendering import render_pdf

log = logging.getLogger(__name__)
MAX_RETRIES = 3
# A job "running" longer than the hard time limit belongs to a worker that died.
STALE_AFTER = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
# A job still queued this long after its message went out lost that message (a broker
# restart, say). With the sweeper every minute, a lost job is resent within about 3 minutes.
LOST_AFTER = timedelta(minutes=2)


class PermanentReportError(Exception):
    """A failure that retrying cannot fix (the subject is gone, the kind is unknown)."""


@shared_task(bind=True, max_retries=MAX_RETRIES)
def render_report(self, job_id: int) -> None:
    job = ReportJob.objects.filter(pk=job_id).first()
    # Finished, or claimed by another delivery: nothing to do (a dead worker's job is the
    # sweeper's). Returning acknowledges the message.
    if job is None or not job.claim():
        return
    try:
        _render(job)
    except Exception as exc:
        _handle_failure(self, job, exc)


def _render(job: ReportJob) -> None:
    report_type = get_report_type(job.kind)
    if report_type is None:
        raise PermanentReportError(f"unknown report kind {job.kind!r}")
    job.set_progress(15, "Collecting the data")
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
        filename = report_type.filename(subject, job.version)
    except ObjectDoesNotExist as exc:
        raise PermanentReportError("the object this report describes no longer exists") from exc
    job.set_progress(40, "Laying out the pages")
    context |= {"job": job, "generated_at": timezone.now()}
    pdf = render_pdf(report_type.template, context)
    job.set_progress(85, "Storing the file")
    # The same name on every run, old file replaced: rendering twice leaves one current file.
    relative = job.storage_name
    target = job.file.field.generate_filename(job, relative)
    if job.file and job.file.name != target:
        job.file.storage.delete(job.file.name)
    job.file.storage.delete(target)
    job.file.save(relative, ContentFile(pdf), save=False)
    job.status, job.progress, job.step = JobStatus.DONE, 100, "Ready"
    job.finished_at, job.filename = timezone.now(), filename[:200]
    job.save(update_fields=["file", "filename", "status", "progress", "step", "finished_at"])
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
    """Send again the jobs whose message was lost or whose worker died, and fail those that
    have used up their attempts; returns how many were resent.

    Every change is a conditional UPDATE on the state this sweep read, so two sweeps at once
    (beat's and a starting worker's) resend a job once. A resend of a job no worker claimed
    counts as an attempt (a claim counts the others), so a job no worker takes ends failed,
    not resent forever.
    """
    now = timezone.now()
    stale = ReportJob.objects.filter(
        status=JobStatus.RUNNING, started_at__lt=now - STALE_AFTER
    ) | ReportJob.objects.filter(
        status__in=[JobStatus.QUEUED, JobStatus.RETRYING], sent_at__lt=now - LOST_AFTER
    )
    resent = 0
    for job in stale:
        as_read = ReportJob.objects.filter(pk=job.pk, status=job.status, sent_at=job.sent_at)
        if job.attempts > MAX_RETRIES:
            as_read.update(
                status=JobStatus.FAILED,
                step="Failed",
                error="No worker finished this report after every attempt; "
                "check that the Celery worker is running.",
                finished_at=now,
            )
            continue
        if job.status == JobStatus.RUNNING:
            # Its worker died: queue it again, so the resent message can claim it.
            changes = {"status": JobStatus.QUEUED, "step": "Resent after a worker stopped"}
        else:
            changes = {"attempts": F("attempts") + 1}
        if as_read.update(sent_at=now, **changes):
            render_report.delay(job.pk)
            resent += 1
    if resent:
        log.warning("resent %d report job(s) whose message was lost or worker died", resent)
    return resent


@worker_ready.connect
def sweep_when_a_worker_starts(sender=None, **kwargs) -> None:
    """Jobs queued while no worker was up (or whose messages a broker restart lost) are resent
    as soon as one is, not at beat's next round."""
    requeue_stale_jobs.delay()
