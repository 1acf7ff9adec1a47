"""The portfolio's rows: each engagement's line with every figure ready to print, built from
the page's engagements (`portfolio.page_rows`) and their KPI trends with no query — per-row
template work was most of the dashboard's time (bench/README.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import reverse

from .enums import EngagementStatus
from .portfolio import burn_percent, display_name, gate_text, phase_text
from .sparklines import Spark, spark_since, sparkline
from .templatetags.formatting import money as money_text


@dataclass(frozen=True)
class Row:
    """One engagement's line, every figure ready to print."""

    pk: int
    url: str
    title: str
    vendor: str
    phase: str
    gate: str
    overdue: bool
    status: str
    status_label: str
    spark: Spark | None
    # Insiders only (None / empty for vendor contacts):
    health: str = ""
    health_label: str = ""
    health_reason: str = ""
    risks: tuple[str, ...] = ()
    owner: str = ""
    spent: Decimal | None = None
    approved: Decimal | None = None
    burn: int | None = None
    burn_text: str = ""  # "48%: $120,000 of $250,000" (no approved budget: "")

    @property
    def over_budget(self) -> bool:
        return self.burn is not None and self.burn > 100

    @property
    def burn_value(self) -> str:
        return str(self.burn)

    @property
    def risks_text(self) -> str:
        """ "2: Scope creep; Schedule slip", or "None"."""
        return f"{len(self.risks)}: {'; '.join(self.risks)}" if self.risks else "None"


def build_rows(engagements, trends: Mapping, today: date, *, insider: bool) -> list[Row]:
    """Rows from the page's engagements (`page_rows`) and their KPI trends
    (`facts.load_kpi_trends`), with no query."""
    since = spark_since(today)
    # One reverse() for the page: the detail URL differs only by the id.
    url = reverse("engagements:detail", args=[0]).removesuffix("0/") + "{}/"
    rows = []
    for e in engagements:
        trend = trends.get(e.pk)
        spark = None
        if trend is not None:
            kpi = trend.kpi
            spark = sparkline(
                trend.readings,
                since,
                name=kpi.name,
                target=kpi.target,
                higher_is_better=kpi.higher_is_better,
            )
        gate = gate_text(e.status, e.phase_number, e.next_gate_due, today)
        common = {
            "pk": e.pk,
            "url": url.format(e.pk),
            "title": e.title,
            "vendor": e.vendor_name,
            "phase": phase_text(e.status, e.phase_number, e.start_date),
            "gate": gate,
            "overdue": bool(gate) and e.next_gate_due < today,
            "status": e.status,
            "status_label": EngagementStatus(e.status).label,
            "spark": spark,
        }
        if insider:
            spent, approved = e.spent_to_date, e.budget_approved
            burn = burn_percent(spent, approved) if approved is not None else None
            owner = e.created_by
            common |= {
                "health": e.health,
                "health_label": e.health.capitalize() if e.health else "Not assessed",
                "health_reason": e.health_reason,
                "risks": tuple(e.risk_titles or ()),
                "owner": display_name(
                    owner.first_name, owner.last_name, owner.email, owner.username
                )
                if owner
                else "a former member",
                "spent": spent,
                "approved": approved,
                "burn": burn,
                "burn_text": ""
                if burn is None
                else f"{burn}%: {money_text(spent, e.currency)} of "
                f"{money_text(approved, e.currency)}",
            }
        rows.append(Row(**common))
    return rows
