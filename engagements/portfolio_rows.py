"""The portfolio's rows: each engagement's line with every figure ready to print, built from
the page's engagements (`portfolio.page_rows`, with the running phase and the KPI trend the
refresh stored on them) with no query.

Per-row template work was the dashboard's largest part (bench/README.md), so a row is a plain
dict (a `TypedDict`: the template engine finds a key at its first try, where an attribute
costs it a failed subscript first), every text is final (no filter, no `{% url %}`, no
property in the template) and the sparkline's figures sit on the row itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.urls import reverse

from .enums import EngagementStatus
from .portfolio import burn_percent, gate_text, phase_text
from .sparklines import spark_since, stored_sparkline
from .templatetags.formatting import money as money_text

NONE = "—"
STATUS_LABELS = dict(EngagementStatus.choices)


class Row(TypedDict, total=False):
    """One engagement's line, every figure ready to print."""

    url: str
    title: str
    vendor: str  # "—" without one
    phase: str
    gate: str  # "—" without a gate ahead
    overdue: bool
    status: str
    status_label: str
    # The KPI sparkline (`sparklines.Spark`), flattened; spark_label "" without readings.
    spark_label: str
    spark_points: str
    spark_target: str  # "" without a target
    spark_x: str
    spark_y: str
    spark_met: bool | None
    # Insiders only (absent for vendor contacts):
    health: str
    health_label: str
    health_reason: str
    risks: str  # "2: Scope creep; Schedule slip", or "None"
    owner: str
    spent: Decimal
    approved: Decimal | None
    burn: str  # the meter's value; "" without an approved budget
    burn_text: str  # "48%: $120,000 of $250,000"
    over_budget: bool


def build_rows(
    engagements, today: date, *, insider: bool, owners: Mapping[int, str] | None = None
) -> list[Row]:
    """Rows from the page's engagements (`page_rows`), with no query. `owners`: insiders'
    owner names by user id (`portfolio.filter_choices` read them)."""
    since = spark_since(today)
    owners = owners or {}
    # One reverse() for the page: the detail URL differs only by the id.
    url = reverse("engagements:detail", args=[0]).removesuffix("0/") + "{}/"
    rows = []
    for e in engagements:
        gate = gate_text(e.status, e.current_phase_number, e.next_gate_due, today)
        row: Row = {
            "url": url.format(e.pk),
            "title": e.title,
            "vendor": e.vendor_name or NONE,
            "phase": phase_text(e.status, e.current_phase_number, e.start_date),
            "gate": gate or NONE,
            "overdue": bool(gate) and e.next_gate_due < today,
            "status": e.status,
            "status_label": STATUS_LABELS[e.status],
            "spark_label": "",
        }
        spark = stored_sparkline(e.kpi_trend, since)
        if spark is not None:
            row |= {
                "spark_label": spark.label,
                "spark_points": spark.points,
                "spark_target": spark.target_y,
                "spark_x": spark.last_x,
                "spark_y": spark.last_y,
                "spark_met": spark.met,
            }
        if insider:
            row |= _insider_cells(e, owners)
        rows.append(row)
    return rows


def _insider_cells(e, owners: Mapping[int, str]) -> Row:
    spent, approved = e.spent_to_date, e.budget_approved
    burn = burn_percent(spent, approved) if approved is not None else None
    risks = e.risk_titles or ()
    return {
        "health": e.health,
        "health_label": e.health.capitalize() if e.health else "Not assessed",
        "health_reason": e.health_reason,
        "risks": f"{len(risks)}: {'; '.join(risks)}" if risks else "None",
        "owner": owners.get(e.created_by_id, "a former member"),
        "spent": spent,
        "approved": approved,
        "burn": "" if burn is None else str(burn),
        "burn_text": ""
        if burn is None
        else f"{burn}%: {money_text(spent, e.currency)} of {money_text(approved, e.currency)}",
        "over_budget": burn is not None and burn > 100,
    }
