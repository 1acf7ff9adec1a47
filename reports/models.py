"""Report jobs: one row per requested PDF, rendered by a Celery worker, kept as a version."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Organisation
from accounts.tenancy import Scope, TenantModel, TenantQuerySet


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Rendering"
    RETRYING = "retrying", "Retrying"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


FINISHED = (JobStatus.DONE, JobStatus.FAILED)
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING)


class ReportJobQuerySet(TenantQuerySet):
    def latest_by_subject(self, kind: str, subjects) -> dict[int, ReportJob]:
        """The newest job of `kind` for each subject (all of one model), in one query."""
        if not subjects:
            return {}
        content_type = ContentType.objects.get_for_model(subjects[0])
        jobs = self.filter(
            kind=kind, content_type=content_type, object_id__in=[s.pk for s in subjects]
        )
        newest = jobs.filter(
            version=Subquery(
                jobs.filter(object_id=OuterRef("object_id"))
                .order_by("-version")
                .values("version")[:1]
            )
        )
        return {job.object_id: job for job in newest.order_by("created_at")}


class ReportJob(TenantModel):
    """A PDF someone asked for: what, of which object, how far along, and the file."""

    # No vendor path: vendor contacts see no report, whatever it is about.
    scope = Scope("report")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="report_jobs"
    )
    kind = models.CharField(max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="reports/", blank=True, max_length=300)
    # The download's name, from the subject's slug and the version (the report type decides).
    filename = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When a message for this job last went to the broker (request, retry or resend).
    sent_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "version"],
                name="one_report_per_version",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def storage_name(self) -> str:
        """Where the file is kept: internal ids, so two subjects with one slug never collide."""
        return f"{self.organisation_id}/{self.kind}-{self.object_id}-v{self.version}.pdf"

    @property
    def download_name(self) -> str:
        return self.filename or f"{self.kind.replace('_', '-')}-v{self.version}.pdf"

    @classmethod
    def request(cls, *, kind: str, subject, organisation, requested_by, title: str) -> ReportJob:
        """A new queued version of `kind` for `subject`; version numbers never collide."""
        content_type = ContentType.objects.get_for_model(subject)
        for _ in range(5):
            latest = (
                cls.objects.filter(kind=kind, content_type=content_type, object_id=subject.pk)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            try:
                with transaction.atomic():
                    return cls.objects.create(
                        organisation=organisation,
                        kind=kind,
                        content_type=content_type,
                        object_id=subject.pk,
                        version=(latest or 0) + 1,
                        title=title,
                        requested_by=requested_by,
                    )
            except IntegrityError:
                continue  # someone took that version number a moment ago; take the next
        raise IntegrityError("could not allocate a report version")

    def claim(self) -> bool:
        """Mark a queued (or retrying) job running; a conditional UPDATE makes it atomic, so of
        two deliveries of one message only one renders. A "running" job is never claimed here:
        if its worker died, the sweeper (`tasks.requeue_stale_jobs`) queues it again."""
        claimed = (
            ReportJob.objects.filter(
                pk=self.pk, status__in=[JobStatus.QUEUED, JobStatus.RETRYING]
            ).update(
                status=JobStatus.RUNNING,
                started_at=timezone.now(),
                attempts=models.F("attempts") + 1,
                progress=5,
                step="Starting",
                error="",
            )
            == 1
        )
        if claimed:
            self.refresh_from_db()
        return claimed

    def set_progress(self, progress: int, step: str) -> None:
        self.progress, self.step = progress, step
        ReportJob.objects.filter(pk=self.pk).update(progress=progress, step=step)
