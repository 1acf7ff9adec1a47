"""Requesting a report: the one function the page view and the JSON API both call."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.access import check_permission

from .models import UNFINISHED, ReportJob
from .registry import get_report_type
from .tasks import render_report

# A second click within this window (or while the first job is unfinished) gets the same job.
REPEAT_WINDOW = timedelta(seconds=10)


class ReportUnavailable(Exception):
    """The subject exists and may be reported on, just not now (a gate not yet reached)."""

    def __init__(self, reason: str, subject=None):
        super().__init__(reason)
        self.reason, self.subject = reason, subject


def request_report(*, membership, user, kind: str, subject_pk: int) -> ReportJob:
    """Queue a new version of report `kind` about the subject `subject_pk`, or return the job
    this member asked for a moment ago (a double click makes one job).

    Raises Http404 for an unknown kind or a subject `membership` may not see,
    PermissionDenied when the role may not request this kind, and ReportUnavailable (with
    the reason to show) when the subject cannot be reported on yet.
    """
    report_type = get_report_type(kind)
    if report_type is None:
        raise Http404("There is no such report.")
    check_permission(membership, report_type.permission)
    with transaction.atomic():
        subject = report_type.queryset().restrict(membership).filter(pk=subject_pk).first()
        if subject is None:
            raise Http404("No such object, or not one you may see.")
        # Lock the subject's row until commit, so concurrent requests for it queue here and
        # two clicks cannot both find "no recent job" (SQLite's IMMEDIATE transactions already
        # serialise writers). The base manager: a bare one-table lock, whatever the type's
        # queryset joins.
        list(
            type(subject)
            ._base_manager.select_for_update()
            .filter(pk=subject.pk)
            .values_list("pk", flat=True)
        )
        reason = report_type.is_available(subject)
        if reason:
            raise ReportUnavailable(reason, subject)
        repeat = (
            ReportJob.objects.restrict(membership)
            .filter(
                kind=kind,
                content_type=ContentType.objects.get_for_model(subject),
                object_id=subject.pk,
                requested_by=user,
            )
            .filter(Q(status__in=UNFINISHED) | Q(created_at__gte=timezone.now() - REPEAT_WINDOW))
            .order_by("-version")
            .first()
        )
        # A repeat click gets the same job — unless something the report shows has changed
        # since it was made (a decision recorded meanwhile): then it needs a new version.
        if repeat is not None and not report_type.why_outdated(subject, repeat, membership):
            return repeat
        job = ReportJob.request(
            kind=kind,
            subject=subject,
            organisation=membership.organisation,
            requested_by=user,
            title=report_type.title(subject)[:300],
        )
        render_report.delay_on_commit(job.pk)
    return job
