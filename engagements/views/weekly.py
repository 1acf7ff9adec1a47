"""Weekly report pages: the engagement's reports (flags and trends), one report with its
versions, the form to send a week's report, and the amendment form."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import get_scoped, member_required
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status

from ..forms.weekly import ReportForms
from ..models import Engagement, Experiment, Kpi, Phase, ReportMetric, WeeklyReport
from ..weekly_overview import iso_week, metric_names, overview
from ..weekly_reports import ReportRefused, amend_report, as_input, submit_report


def _engagement(request, pk):
    """The engagement with the rows the overview reads (KPIs for targets, phases for the end)."""
    membership = request.membership
    queryset = Engagement.objects.prefetch_related(
        RestrictedPrefetch("kpis", membership, Kpi.objects.all()),
        RestrictedPrefetch("phases", membership, Phase.objects.all()),
    )
    return get_scoped(request, queryset, pk=pk)


@member_required("weekly_report.view")
def report_list(request, pk):
    """Every week's current report, newest first, with the flags and the trend charts."""
    engagement = _engagement(request, pk)
    context = {
        "engagement": engagement,
        "overview": overview(engagement, request.membership, timezone.localdate()),
        "can_submit": request.membership.can("weekly_report.submit"),
    }
    return render(request, "engagements/weekly/list.html", context)


@member_required("weekly_report.view")
def report_detail(request, pk, report_pk):
    """One version of a week's report, and the other versions of that week."""
    membership = request.membership
    queryset = WeeklyReport.objects.select_related("engagement", "submitted_by").prefetch_related(
        RestrictedPrefetch("metrics", membership, ReportMetric.objects.all()),
        RestrictedPrefetch("experiments", membership, Experiment.objects.all()),
    )
    report = get_scoped(request, queryset, pk=report_pk, engagement_id=pk)
    versions = (
        WeeklyReport.objects.restrict(membership)
        .filter(engagement_id=pk, year=report.year, week=report.week)
        .select_related("submitted_by")
        .order_by("version")
    )
    context = {
        "engagement": report.engagement,
        "report": report,
        "versions": list(versions),
        "can_submit": membership.can("weekly_report.submit"),
    }
    return render(request, "engagements/weekly/detail.html", context)


@member_required("weekly_report.submit")
def report_new(request, pk):
    """Send a week's report. A second report for a week is refused: amend the first."""
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    today = timezone.localdate()
    if request.method != "POST":
        forms = ReportForms()
        forms.report.initial["week"] = iso_week(today)
        return _form(request, engagement, forms)
    forms = ReportForms(request.POST, request.FILES)
    if forms.adding:
        return _form(request, engagement, forms.without_errors())
    if forms.is_valid():
        try:
            report = submit_report(engagement, forms.to_input(), request.user, today)
        except ReportRefused as refused:
            forms.show(refused)
            return _form(request, engagement, forms, status=_status(request, refused))
        messages.success(request, f"Weekly report for {report.week_label} sent.")
        return redirect("engagements:weekly_report", pk=engagement.pk, report_pk=report.pk)
    return _form(request, engagement, forms, status=invalid_form_status(request))


@member_required("weekly_report.submit")
def report_amend(request, pk, report_pk):
    """Correct a report: the amendment becomes the current version, the original stays."""
    report = get_scoped(request, WeeklyReport.objects, "submit", pk=report_pk, engagement_id=pk)
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    if not report.is_current and request.method != "POST":
        current = (
            WeeklyReport.objects.restrict(request.membership)
            .current()
            .filter(engagement=engagement, year=report.year, week=report.week)
            .first()
        )
        if current is not None:
            messages.info(request, "That version was amended since: this is the current one.")
            return redirect("engagements:weekly_report_amend", pk=pk, report_pk=current.pk)
    if request.method != "POST":
        forms = ReportForms(amending=True, initial=as_input(report))
        return _form(request, engagement, forms, report=report)
    forms = ReportForms(request.POST, request.FILES, amending=True)
    if forms.adding:
        return _form(request, engagement, forms.without_errors(), report=report)
    if forms.is_valid():
        data = forms.to_input(report.year, report.week)
        try:
            amendment = amend_report(report, data, request.user, timezone.localdate())
        except ReportRefused as refused:
            forms.show(refused)
            status = _status(request, refused)
            return _form(request, engagement, forms, report=report, status=status)
        messages.success(request, f"Amendment to {amendment.week_label} recorded.")
        return redirect("engagements:weekly_report", pk=pk, report_pk=amendment.pk)
    status = invalid_form_status(request)
    return _form(request, engagement, forms, report=report, status=status)


def _status(request, refused: ReportRefused) -> int:
    return 200 if request.htmx else refused.status


def _form(request, engagement, forms, report=None, status=200):
    context = {
        "engagement": engagement,
        "forms": forms,
        "report": report,
        "metric_names": metric_names(engagement, request.membership),
    }
    return render(request, "engagements/weekly/form.html", context, status=status)
