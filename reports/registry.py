"""Report types: each app registers what it can render, and the pipeline renders any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportType:
    """How to render one kind of PDF about one kind of object (its subject)."""

    kind: str
    template: str
    build_context: Callable[[object, object], dict]  # (subject, requester's membership)
    title: Callable[[object], str]
    back_link: Callable[[object], tuple[str, str]]  # subject → (url, label) for the job page


REPORT_TYPES: dict[str, ReportType] = {}


def register(report_type: ReportType) -> ReportType:
    REPORT_TYPES[report_type.kind] = report_type
    return report_type
