from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from handover.htmx import render_page

from .models import ReportJob
from .registry import get_report_type
from .service import ReportUnavailable, request_report


@require_POST
@member_required("report.view")
def report_request(request, kind, pk):
    """Queue a new version of any kind of report about the object `pk` and show its progress.

    Seeing reports is the baseline; each kind then needs its own permission (403), a subject
    the member may see (404) and one that can be reported on now (409 with the reason).
    """
    try:
        job = request_report(
            membership=request.membership, user=request.user, kind=kind, subject_pk=pk
        )
    except ReportUnavailable as exc:
        # htmx swaps only 2xx answers (base.html), so it gets the reason in a 200 fragment.
        context = {"reason": exc.reason, "back": _back_link(kind, exc.subject)}
        status = 200 if request.htmx else 409
        return render_page(
            request, "reports/unavailable.html", context, partial="reason", status=status
        )
    if request.htmx:
        return render_page(request, "reports/job.html", {"job": job}, partial="status")
    return redirect("reports:job", pk=job.pk)


def _back_link(kind: str, subject) -> tuple[str, str] | None:
    report_type = get_report_type(kind)
    return report_type.back_link(subject) if report_type and subject is not None else None


def _subject(request, job: ReportJob):
    """The job's subject as the member may see it (None if gone, or its kind is unknown)."""
    report_type = get_report_type(job.kind)
    if report_type is None:
        return None
    subjects = report_type.queryset().restrict(request.membership)
    return subjects.filter(pk=job.object_id).first()


@member_required("report.view")
def job_detail(request, pk):
    """The job's page; htmx polls its status partial until the PDF is ready or failed."""
    job = get_scoped(request, ReportJob.objects, pk=pk)
    report_type = get_report_type(job.kind)
    if request.htmx:  # the poll, every second: only what the status partial shows
        outdated = None
        if job.finished and report_type is not None:  # the last poll: is it current?
            outdated = report_type.why_outdated(_subject(request, job), job, request.membership)
        return render_page(
            request, "reports/job.html", {"job": job, "outdated": outdated}, partial="status"
        )
    versions = (
        ReportJob.objects.restrict(request.membership)
        .filter(kind=job.kind, content_type_id=job.content_type_id, object_id=job.object_id)
        .select_related("requested_by")
        .order_by("-version")
    )
    subject = _subject(request, job)
    versions = [
        (version, report_type and report_type.why_outdated(subject, version, request.membership))
        for version in versions
    ]
    outdated = next((reason for version, reason in versions if version.pk == job.pk), None)
    may_request = (
        report_type is not None
        and subject is not None
        and request.membership.can(report_type.permission)
        and report_type.is_available(subject) is None
    )
    context = {
        "job": job,
        "outdated": outdated,
        "versions": versions,
        "back": _back_link(job.kind, subject),
        "request_url": reverse("reports:request", args=[job.kind, job.object_id])
        if may_request
        else None,
    }
    return render_page(request, "reports/job.html", context)


@member_required("report.view")
def job_download(request, pk):
    job = get_scoped(request, ReportJob.objects, pk=pk)
    if not job.file:
        raise Http404("This report has no file yet.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("The report file is missing from storage.") from None
    return FileResponse(handle, as_attachment=True, filename=job.download_name)
