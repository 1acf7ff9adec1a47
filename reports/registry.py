"""Report types: each app declares what it can render in its own `reports.py`, and the pipeline
renders any of them. `reports` imports no app: `ReportsConfig.ready()` finds the declarations
with `autodiscover_modules("reports")`, the way the admin finds `admin.py`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from accounts.roles import PERMISSIONS

# A kind is a URL segment (reports/<kind>/<pk>/): lowercase words joined by "_", not "jobs".
KIND = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class ReportType:
    """How to request and render one kind of PDF about one kind of object (its subject).

    kind: the report's name in URLs and job rows ("board_gate_summary"); lowercase, `_`-joined.
    permission: the `accounts.roles.PERMISSIONS` key a member needs to request it.
    queryset: returns the subject model's manager or queryset (a `TenantQuerySet`); the
        request goes through `.restrict(membership)`, so an unreachable subject is a 404.
    is_available: subject → None when it may be requested now, else the reason shown (409).
    title: subject → the job's title.
    filename: (subject, version) → the download's name, from the subject's slug and the
        version ("support-ticket-triage-gate-1-board-summary-v3.pdf"), never an internal id.
    template: the HTML template WeasyPrint renders.
    build_context: (subject, requester's membership) → the template context. The worker
        passes the membership of the member who asked, so a report never shows more than
        they may read: fetch through `restrict(membership)` here.
    back_link: subject → (url, label) for the job page.
    outdated_reason: optional; (subject, finished job, viewer's membership) → None while the
        PDF still shows the subject as it is, else what changed since the job read its data
        ("gate 2 was decided Go … after this version was made"), shown beside the download.
        Called for every panel on a page: read prefetched rows where the page has them.
    none_yet: optional; what a member who reads reports but may not request this kind sees
        in the panel while the subject has none ("No board PDF yet — an owner or admin can
        make one."), instead of an empty space.
    """

    kind: str
    permission: str
    queryset: Callable[[], Any]
    is_available: Callable[[Any], str | None]
    title: Callable[[Any], str]
    filename: Callable[[Any, int], str]
    template: str
    build_context: Callable[[Any, Any], dict]
    back_link: Callable[[Any], tuple[str, str]]
    outdated_reason: Callable[[Any, Any, Any], str | None] | None = None
    none_yet: str = ""

    def why_outdated(self, subject, job, membership) -> str | None:
        """What makes `job`'s finished PDF of `subject` out of date, or None."""
        if self.outdated_reason is None or subject is None or job is None:
            return None
        if job.status != "done" or membership is None:
            return None
        return self.outdated_reason(subject, job, membership)


REPORT_TYPES: dict[str, ReportType] = {}


def register(report_type: ReportType) -> ReportType:
    """Declare a report type; call it at import time of an app's `reports.py`."""
    if not KIND.match(report_type.kind) or len(report_type.kind) > 50 or report_type.kind == "jobs":
        raise ImproperlyConfigured(f"report kind {report_type.kind!r} is not a short slug")
    if report_type.permission not in PERMISSIONS:
        raise ImproperlyConfigured(
            f"report kind {report_type.kind!r} needs the unknown permission "
            f"{report_type.permission!r}"
        )
    existing = REPORT_TYPES.get(report_type.kind)
    if existing is not None and existing != report_type:
        raise ImproperlyConfigured(f"report kind {report_type.kind!r} is declared twice")
    REPORT_TYPES[report_type.kind] = report_type
    return report_type


def get_report_type(kind: str) -> ReportType | None:
    return REPORT_TYPES.get(kind)
