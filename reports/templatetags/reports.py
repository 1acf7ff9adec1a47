"""`{% load reports %}`: a subject's latest report job, its progress and the request button, on
any page, for any report kind — so apps show reports without importing `reports`.

    {% latest_reports "board_gate_summary" gates as report_jobs %}   one query for all gates
    {% for gate in gates %}
      {% report_panel "board_gate_summary" gate jobs=report_jobs label="Board PDF" %}
    {% endfor %}
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from reports.models import ReportJob
from reports.registry import get_report_type

register = template.Library()


def _membership(context):
    request = context.get("request")
    return getattr(request, "membership", None)


@register.simple_tag(takes_context=True)
def latest_reports(context, kind: str, subjects) -> dict[int, ReportJob]:
    """{subject pk: its newest job of `kind`} for subjects of one model, in one query; empty
    (and no query) for a member who may not see reports."""
    jobs = ReportJob.objects.restrict(_membership(context))
    return jobs.latest_by_subject(kind, list(subjects))


@register.inclusion_tag("reports/_panel.html", takes_context=True)
def report_panel(context, kind: str, subject, jobs=None, label: str = "Request PDF") -> dict:
    """The subject's newest job of `kind` (polling while it renders) and, when the member's
    role may request this kind and the subject can be reported on now, the request button;
    for a member who reads reports but may not request one, the type's `none_yet` while
    there is none.

    `jobs` is `latest_reports`'s answer for a list of subjects; without it the panel asks
    the database for this subject alone. A PDF made before the subject changed is marked
    outdated (the report type's `outdated_reason`).
    """
    report_type = get_report_type(kind)
    if report_type is None:
        raise template.TemplateSyntaxError(f"report_panel: unknown report kind {kind!r}")
    membership = _membership(context)
    if jobs is None:
        jobs = latest_reports(context, kind, [subject])
    may_request = bool(membership and membership.can(report_type.permission))
    job = jobs.get(subject.pk)
    available = report_type.is_available(subject) is None
    none_yet = ""
    if job is None and not may_request and available and membership is not None:
        none_yet = report_type.none_yet if membership.can("report.view") else ""
    return {
        "job": job,
        "none_yet": none_yet,
        "outdated": report_type.why_outdated(subject, job, membership),
        "can_request": may_request and available,
        "panel_id": f"report-{kind.replace('_', '-')}-{subject.pk}",
        "request_url": reverse("reports:request", args=[kind, subject.pk]),
        "label": label,
        "csrf_token": context.get("csrf_token"),
    }
