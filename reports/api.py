"""Report jobs over the JSON API, mounted at /api/reports/ by the api app: request any declared
kind of report about a subject, follow the job, download the PDF. The same service as the
pages (`service.request_report`), so the same permissions, scoping and double-click rule."""

# No `from __future__ import annotations`: ninja reads the route signatures at import time.
from datetime import datetime

from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict

from accounts.access import get_scoped
from api.access import ObjectId, requires

from .models import JobStatus, ReportJob
from .service import ReportUnavailable, request_report

router = Router(tags=["reports"])


class ReportRequestIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        max_length=50,
        pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$",
        examples=["board_gate_summary"],
        description="The kind of report, e.g. board_gate_summary (its subject is a gate).",
    )
    subject_id: int = Field(ge=1, le=2**63 - 1, description="The id of the report's subject.")


class JobOut(Schema):
    id: int
    kind: str
    title: str
    subject_id: int
    version: int
    status: str = Field(description="queued, running, retrying, done or failed.")
    progress: int = Field(description="0–100.")
    step: str
    error: str
    requested_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(description="Where to fetch the PDF once done.")


def _job_out(job: ReportJob) -> dict:
    done = job.status == JobStatus.DONE and bool(job.file)
    return {
        "id": job.pk,
        "kind": job.kind,
        "title": job.title,
        "subject_id": job.object_id,
        "version": job.version,
        "status": job.status,
        "progress": job.progress,
        "step": job.step,
        "error": job.error,
        "requested_at": job.created_at,
        "finished_at": job.finished_at,
        "download_url": reverse("api:report_download", args=[job.pk]) if done else None,
    }


@router.post("", response={202: JobOut}, url_name="report_request")
@requires("report.view")
def report_request(request, body: ReportRequestIn):
    """Queue a new version of a report (or get the job you asked for seconds ago). Each kind
    needs its own permission (403), a subject you may see (404) and one that can be reported
    on now (409 with the reason)."""
    try:
        job = request_report(
            membership=request.membership,
            user=request.user,
            kind=body.kind,
            subject_pk=body.subject_id,
        )
    except ReportUnavailable as exc:
        raise HttpError(409, exc.reason) from None
    return Status(202, _job_out(job))


@router.get("/jobs/{job_id}", response=JobOut, url_name="report_job")
@requires("report.view")
def report_job(request, job_id: ObjectId):
    """A report job's status and progress; poll until it is done or failed."""
    return _job_out(get_scoped(request, ReportJob.objects, pk=job_id))


@router.get(
    "/jobs/{job_id}/download",
    url_name="report_download",
    openapi_extra={
        "responses": {
            200: {
                "description": "The PDF, as an attachment named after the subject.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@requires("report.view")
def report_download(request, job_id: ObjectId):
    """The job's PDF (409 while it is not done)."""
    job = get_scoped(request, ReportJob.objects, pk=job_id)
    if job.status != JobStatus.DONE or not job.file:
        raise HttpError(409, f"The report is not ready (status: {job.status}).")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("The report file is missing from storage.") from None
    return FileResponse(
        handle, as_attachment=True, filename=job.download_name, content_type="application/pdf"
    )
