from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from engagements.models import Gate
from handover.htmx import render_page

from .board import BOARD_GATE_SUMMARY
from .models import ReportJob
from .registry import REPORT_TYPES
from .tasks import render_report


@require_POST
@member_required("report.request")
def request_board_summary(request, gate_pk):
    """Queue a new version of the gate's board PDF and show its progress."""
    gate = get_scoped(request, Gate.objects.select_related("engagement"), pk=gate_pk)
    if gate.number not in gate.engagement.reached_gate_numbers:
        return HttpResponse(
            f"Gate {gate.number} is not reached yet: {gate.after_phase_name} has not started.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    job = ReportJob.request(
        kind=BOARD_GATE_SUMMARY.kind,
        subject=gate,
        organisation=request.organisation,
        requested_by=request.user,
        title=BOARD_GATE_SUMMARY.title(gate),
    )
    render_report.delay_on_commit(job.pk)
    if request.htmx:
        return render_page(request, "reports/job.html", {"job": job}, partial="status")
    return redirect("reports:job", pk=job.pk)


@member_required("report.view")
def job_detail(request, pk):
    """The job's page; htmx polls its status partial until the PDF is ready or failed."""
    job = get_scoped(request, ReportJob.objects, pk=pk)
    if request.htmx:  # the poll, every second: only what the status partial shows
        return render_page(request, "reports/job.html", {"job": job}, partial="status")
    versions = (
        ReportJob.objects.restrict(request.membership)
        .filter(kind=job.kind, content_type_id=job.content_type_id, object_id=job.object_id)
        .select_related("requested_by")
        .order_by("-version")
    )
    subject, report_type = job.subject, REPORT_TYPES.get(job.kind)
    back = report_type.back_link(subject) if subject and report_type else None
    return render_page(
        request, "reports/job.html", {"job": job, "versions": versions, "back": back}
    )


@member_required("report.view")
def job_download(request, pk):
    job = get_scoped(request, ReportJob.objects, pk=pk)
    if not job.file:
        raise Http404("This report has no file yet.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("The report file is missing from storage.") from None
    return FileResponse(handle, as_attachment=True, filename=job.filename)
