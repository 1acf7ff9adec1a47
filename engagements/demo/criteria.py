"""Demo gate criteria and their evidence: every gate gets the guide's criteria (the demo
inserts engagements in bulk, without `create_engagement`), engagements get a data readiness
estimate (one not assessed yet, one too low to be usable), and the evidence criteria of
reached gates get notes and links — a decided gate's dated before its decision, and one
Recycled development gate carrying stale evidence that needs refreshing. KPI criteria read
the demo's weekly reports, where an early PoC is still under its target on the client's data.
Deterministic: the same demo gives the same rows; engagements that have criteria keep them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils.text import slugify

from accounts.roles import Role
from handover.bulk import insert_rows, update_fields

from ..criteria import guide_criteria
from ..enums import CriterionCheck, KpiKind, PhaseStatus
from ..models import DataHolder, Engagement, Gate, Kpi, Phase, ReportMetric
from .scenarios import scenario_index

# By the engagement's place in the demo's seven scenarios (see SCENARIOS in __init__.py): a
# new PoC not assessed yet, a PoC on hold for data clearance, … a stopped one on sparse data.
READINESS = [None, 55, 80, 72, 85, 90, 35]
NOTES = {
    "baseline_model": "Gradient-boosted baseline trained on last year's export; results and "
    "error analysis in the linked report.",
    "pipeline_staging": "Ingestion, training, evaluation and serving run end to end in the "
    "staging account; nightly run green for two weeks.",
    "production_hardening": "Load test at 3× peak, retries and timeouts, on-call runbook "
    "reviewed by our platform team.",
}
STALE_SCENARIO = 3  # development recycled once: its evidence predates the recycle
# In development after a Go: the latest evaluation on the client's new hold-out set dipped
# under the target (the vendor's own data still looks fine), so gate 2's KPI check fails.
DIP_SCENARIO = 2


def seed_gate_criteria(engagements: list[Engagement], members: dict, today: date) -> int:
    """Criteria for the gates of `engagements` that have none, with demo evidence; data
    readiness where it is not set. Returns the number of criteria added."""
    ids = [e.pk for e in engagements]
    owner = members[Role.OWNER].user
    position = {e.pk: i for i, e in enumerate(engagements)}
    readiness = []
    for engagement in engagements:
        value = READINESS[scenario_index(position[engagement.pk])]
        if engagement.data_readiness is None and value is not None:
            engagement.data_readiness = value
            readiness.append(engagement)
    update_fields(readiness, ["data_readiness"])  # handover.bulk: faster than bulk_update

    by_pk = {e.pk: e for e in engagements}
    phases = {(p.engagement_id, p.number): p for p in Phase.objects.filter(engagement_id__in=ids)}
    gates = (
        Gate.objects.filter(engagement_id__in=ids, criteria__isnull=True)
        .prefetch_related("decisions")
        .order_by("pk")
    )
    rows = []
    for gate in gates:
        engagement = by_pk[gate.engagement_id]
        phase = phases.get((engagement.pk, gate.number))
        final = gate.final_decision
        decided_on = final.decided_on if final else None
        for criterion in guide_criteria(engagement, [gate]):
            if criterion.met_by == CriterionCheck.EVIDENCE and phase:
                _evidence(criterion, engagement, phase, decided_on, position, today)
                if criterion.evidence_on:
                    criterion.evidence_by = owner
            rows.append(criterion)
    insert_rows(rows)  # handover.bulk: leaves, no ids needed back
    _dip_under_target([e for e in engagements if position[e.pk] == DIP_SCENARIO])
    return len(rows)


def _dip_under_target(engagements: list[Engagement]) -> None:
    """The latest client-held reading of each one's technical KPI, a little under target."""
    for kpi in Kpi.objects.filter(engagement__in=engagements, kind=KpiKind.TECHNICAL):
        latest = (
            ReportMetric.objects.filter(
                report__engagement_id=kpi.engagement_id,
                report__is_current=True,
                name__iexact=kpi.name,
                held_by=DataHolder.CLIENT,
            )
            .order_by("-report__year", "-report__week", "-id")
            .first()
        )
        if latest is None or kpi.baseline is None:
            continue
        dipped = kpi.target - (kpi.target - kpi.baseline) * Decimal("0.3")
        ReportMetric.objects.filter(pk=latest.pk).update(value=round(dipped, 3))


def _evidence(criterion, engagement, phase, decided_on, position, today) -> None:
    """Evidence for a reached gate's evidence criterion, as a team would have given it."""
    if phase.status in (PhaseStatus.PLANNED, PhaseStatus.CANCELLED):
        return
    started = phase.actual_start or phase.planned_start
    if decided_on:
        dated = decided_on - timedelta(days=3)
    elif scenario_index(position[engagement.pk]) == STALE_SCENARIO:
        dated = today - timedelta(days=45)  # stale: older than the 30 days allowed
    elif (today - started).days >= 35:
        dated = today - timedelta(days=6)
    else:
        return  # too early in the phase: no evidence yet
    criterion.evidence_note = NOTES.get(criterion.key, "")
    criterion.evidence_link = (
        f"https://wiki.example.com/{slugify(engagement.title)}/{criterion.key.replace('_', '-')}"
    )
    criterion.evidence_on = max(dated, started)
