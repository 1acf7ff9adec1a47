"""Gate criteria (R29): what each gate is decided on, how each criterion is met, and the
readiness and recommendation a gate shows beside its decision buttons.

A criterion is must-meet (a knock-out) or should-meet (scored by its weight). It is met by
evidence a person gives — a note, a link, a file, dated — or by an automatic check over the
engagement's own data (`Facts`, from `facts.py`):

- KPI_MET: the latest client-held evaluation of every technical KPI meets its target
  (`higher_is_better` respected). A vendor-held evaluation counts only when the criterion
  says so (`accept_vendor_data`): the guide's "real-world validation, not only historical test
  data". An evaluation reported for a week that ended more than the evidence age ago is stale.
- DATA_READINESS: the engagement's data readiness at or above the threshold (the criterion's,
  else the organisation's `readiness_min`); not assessed is missing.
- CHECKLIST: the named checklist items (or the whole list) done; not-applicable counts as done.
- CHANGE_REQUESTS: no change request still proposed after `threshold` days (else the
  organisation's `change_request_open_days`).
- KPIS_DEFINED: a business KPI, a technical KPI and the business problem written.
- EVIDENCE: a note, a link or a file; dated more than the evidence age ago it is stale, and
  counts as unmet until someone refreshes it.

The recommendation advises; the owner decides (`actions.record_decision`):

- **Go** — every must-meet met and the should-meet score at least 75% (or no should-meet).
- **Conditional Go** — every must-meet met but the score under 75% (conditions: the unmet
  should-meets), or the only unmet must-meets are stale evidence (conditions: refresh them).
- **Recycle** — some must-meet unmet: repeat the phase to meet them.
- **No-Go** — more than half the must-meets unmet although the gate was already recycled once.
- **Hold** — the gate has no criteria at all: nothing to decide on yet.

Every result says why, in words a board member reads ("F1 0.81 on the client's hold-out set
(2026-W09) is under the target 0.85"), and links to the data behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

from .criteria_checks import (  # noqa: F401  (CriterionResult and the states are public here)
    MET,
    MISSING,
    STALE,
    STATES,
    UNMET,
    CriterionResult,
    check_criterion,
    url,
)
from .enums import CriterionCheck, CriterionKind, Outcome
from .facts import Facts, facts_for
from .models import Engagement, Gate, GateCriterion, RiskSettings
from .models.checklists import ChecklistList

GO_SCORE = 75  # the should-meet score (%) Go needs; under it, Conditional Go
RECOMMENDATION_COLOURS = {
    Outcome.GO: "green",
    Outcome.CONDITIONAL_GO: "amber",
    Outcome.RECYCLE: "amber",
    Outcome.HOLD: "amber",
    Outcome.NO_GO: "red",
}


class GuideCriterion(NamedTuple):
    key: str
    title: str
    kind: str
    met_by: str
    weight: int = 1
    checklist: str = ""
    checklist_keys: tuple[str, ...] = ()


MUST, SHOULD = CriterionKind.MUST, CriterionKind.SHOULD
KT, IP, MLOPS = (
    ChecklistList.KNOWLEDGE_TRANSFER,
    ChecklistList.IP_AND_DATA,
    ChecklistList.MLOPS,
)
C = CriterionCheck
# The guide's criteria per gate (issue 8). Keys let a migration or a check find them whatever
# an owner renames them to.
GUIDE_CRITERIA: dict[int, tuple[GuideCriterion, ...]] = {
    1: (
        GuideCriterion("problem_kpis_defined", "Problem and KPIs defined", MUST, C.KPIS_DEFINED),
        GuideCriterion("data_readiness", "Data readiness assessed", MUST, C.DATA_READINESS),
        GuideCriterion("baseline_model", "A baseline model built", SHOULD, C.EVIDENCE, 2),
        GuideCriterion(
            "kpi_client_holdout",
            "The technical KPI met on the client's own hold-out data",
            MUST,
            C.KPI_MET,
        ),
    ),
    2: (
        GuideCriterion("pipeline_staging", "End-to-end pipeline in staging", MUST, C.EVIDENCE),
        GuideCriterion("production_hardening", "Production hardening done", MUST, C.EVIDENCE),
        GuideCriterion(
            "mlops_in_place",
            "Experiment tracking, model versioning, data validation, drift monitoring and a "
            "retraining pipeline in place",
            MUST,
            C.CHECKLIST,
            checklist=MLOPS,
        ),
        GuideCriterion("kpi_still_met", "The technical KPI still met", MUST, C.KPI_MET),
        GuideCriterion(
            "change_requests_decided",
            "No change request left open for long",
            SHOULD,
            C.CHANGE_REQUESTS,
        ),
    ),
    3: (
        GuideCriterion(
            "kt_retrained_debugged",
            "Our team has retrained and debugged the model without the vendor",
            MUST,
            C.CHECKLIST,
            checklist=KT,
            checklist_keys=("kt_retrained", "kt_debugged_incident"),
        ),
        GuideCriterion(
            "kt_runbook_documentation",
            "Runbook and documentation done",
            MUST,
            C.CHECKLIST,
            checklist=KT,
            checklist_keys=("kt_runbook", "kt_decisions_logged"),
        ),
        GuideCriterion(
            "kt_supervised_period",
            "Supervised period completed",
            MUST,
            C.CHECKLIST,
            checklist=KT,
            checklist_keys=("kt_supervised_period",),
        ),
        GuideCriterion(
            "ip_assigned",
            "IP assigned to us",
            MUST,
            C.CHECKLIST,
            checklist=IP,
            checklist_keys=(
                "ip_trained_models",
                "ip_data_derivatives",
                "ip_custom_code",
                "ip_test_scripts",
                "ip_pre_existing",
            ),
        ),
        GuideCriterion(
            "data_agreement_signed",
            "Data-handling agreement signed",
            MUST,
            C.CHECKLIST,
            checklist=IP,
            checklist_keys=("data_encryption", "data_deletion"),
        ),
        # R28: a model drifts; our team inherits the monitoring and the retraining pipeline.
        GuideCriterion(
            "drift_retraining_handed_over",
            "Drift monitoring and the retraining pipeline running, operated by our team",
            MUST,
            C.CHECKLIST,
            checklist=MLOPS,
            checklist_keys=(
                "mlops_data_drift",
                "mlops_concept_drift",
                "mlops_retraining_pipeline",
            ),
        ),
        GuideCriterion(
            "kt_pair_programming",
            "Pair programming in the final weeks",
            SHOULD,
            C.CHECKLIST,
            checklist=KT,
            checklist_keys=("kt_pair_programming",),
        ),
    ),
}


def guide_criteria(engagement: Engagement, gates: Iterable[Gate]) -> list[GateCriterion]:
    """The guide's criteria for the engagement's (saved) gates, unsaved, for
    `bulk_create_with_history`."""
    return [
        GateCriterion(
            engagement=engagement,
            gate=gate,
            key=guide.key,
            title=guide.title,
            kind=guide.kind,
            weight=guide.weight,
            position=position,
            met_by=guide.met_by,
            checklist=guide.checklist,
            checklist_keys=list(guide.checklist_keys),
        )
        for gate in gates
        for position, guide in enumerate(GUIDE_CRITERIA.get(gate.number, ()))
    ]


@dataclass(frozen=True)
class Readiness:
    """A gate's criteria as the evidence stands, and the recommendation that follows."""

    results: list[CriterionResult]
    recommendation: str  # an Outcome value
    reasons: list[str]
    today: date | None = None

    @property
    def must_met(self) -> bool:
        return not self.unmet_musts

    @property
    def unmet_musts(self) -> list[CriterionResult]:
        return [r for r in self.results if r.criterion.is_must and not r.met]

    @property
    def stale(self) -> list[CriterionResult]:
        return [r for r in self.results if r.state == STALE]

    @property
    def should_score(self) -> int | None:
        """The met should-meets' share of all should-meet weight, 0–100; None without any."""
        return should_score(self.results)

    @property
    def must_count(self) -> tuple[int, int]:
        """(met, total) of the must-meet criteria."""
        musts = [r for r in self.results if r.criterion.is_must]
        return sum(r.met for r in musts), len(musts)

    @property
    def recommendation_label(self) -> str:
        return Outcome(self.recommendation).label

    @property
    def recommendation_colour(self) -> str:
        return RECOMMENDATION_COLOURS.get(self.recommendation, "amber")

    @property
    def criteria(self) -> list[dict]:
        """Each criterion as a row (`CriterionResult.row`): what the readiness partial reads,
        so that it shows a decision's stored snapshot (the same keys) as well."""
        return [result.row() for result in self.results]

    def snapshot(self) -> dict:
        """What a decision keeps of it (JSON): printed later as it stood, whatever changes."""
        met, total = self.must_count
        return {
            "computed_on": self.today.isoformat() if self.today else None,
            "recommendation": self.recommendation,
            "recommendation_label": self.recommendation_label,
            "recommendation_colour": self.recommendation_colour,
            "reasons": list(self.reasons),
            "must_met": self.must_met,
            "must_count": [met, total],
            "should_score": self.should_score,
            "criteria": self.criteria,
        }


def should_score(results: Sequence[CriterionResult]) -> int | None:
    shoulds = [r for r in results if not r.criterion.is_must]
    total = sum(r.criterion.weight for r in shoulds)
    if not total:
        return None
    return round(100 * sum(r.criterion.weight for r in shoulds if r.met) / total)


# --- Readiness and the recommendation ---------------------------------------------------


def _titles(results: Sequence[CriterionResult]) -> str:
    return ", ".join(f"“{r.criterion.title}”" for r in results)


def recommend(results: Sequence[CriterionResult], *, recycled: bool) -> tuple[str, list[str]]:
    """The recommendation and its reasons (see the module's docstring)."""
    if not results:
        return Outcome.HOLD, [
            "This gate has no criteria: add them so that the decision rests on evidence."
        ]
    musts = [r for r in results if r.criterion.is_must]
    unmet = [r for r in musts if not r.met]
    score = should_score(results)
    scored = [f"Should-meet score {score}% (Go needs {GO_SCORE}%)."] if score is not None else []
    if not unmet:
        reasons = [f"Every must-meet criterion is met ({len(musts)} of {len(musts)})."]
        if score is None or score >= GO_SCORE:
            return Outcome.GO, [*reasons, *scored]
        missed = [r for r in results if not r.criterion.is_must and not r.met]
        return Outcome.CONDITIONAL_GO, [
            *reasons,
            f"Should-meet score {score}% is under {GO_SCORE}%: go on with conditions for "
            f"{_titles(missed)}.",
        ]
    counted = f"{len(unmet)} of {len(musts)} must-meet criteria unmet: {_titles(unmet)}."
    if all(r.state == STALE for r in unmet):
        return Outcome.CONDITIONAL_GO, [
            f"The only unmet must-meet criteria have stale evidence: {_titles(unmet)}.",
            "Go on with conditions to refresh it. Stale evidence counts as unmet: recording "
            "Go or Conditional Go needs either the evidence refreshed first or an override "
            "reason.",
            *scored,
        ]
    if recycled and len(unmet) * 2 > len(musts):
        return Outcome.NO_GO, [
            counted,
            "The gate was already recycled once and more than half its must-meets are still unmet.",
        ]
    return Outcome.RECYCLE, [counted, "Repeat the phase to meet them, with a new end date."]


def gate_readiness(
    gate: Gate,
    criteria: Iterable[GateCriterion],
    facts: Facts,
    settings: RiskSettings,
    today: date,
    *,
    recycled: bool | None = None,
) -> Readiness:
    """The gate's readiness: each criterion checked, and the recommendation. Pure but for
    `gate.decision_list` (prefetch the decisions, or pass `recycled`)."""
    if recycled is None:
        recycled = any(d.outcome == Outcome.RECYCLE for d in gate.decision_list)
    page = url("gate_criteria", gate.engagement_id, gate.number)
    results = [
        result if result.link else replace(result, link=f"{page}#criterion-{result.criterion.pk}")
        for result in (check_criterion(c, facts, settings, today) for c in criteria)
    ]
    recommendation, reasons = recommend(results, recycled=recycled)
    return Readiness(results, recommendation, reasons, today)


def criteria_by_gate(gates: Iterable[Gate]) -> dict[int, list[GateCriterion]]:
    """{gate id: its criteria in order}, one query for any number of gates."""
    ids = [gate.pk for gate in gates]
    found: dict[int, list[GateCriterion]] = {pk: [] for pk in ids}
    for criterion in (
        GateCriterion.objects.filter(gate_id__in=ids).for_gate().select_related("gate")
    ):
        found[criterion.gate_id].append(criterion)
    return found


def readiness_for(gate: Gate, today: date) -> Readiness:
    """Load what a gate's readiness needs and compute it: for workflows, the PDF and
    reminders (no member's restriction: callers have already checked access)."""
    engagement = Engagement.objects.prefetch_related("phases").get(pk=gate.engagement_id)
    facts = facts_for(engagement, today, with_money=True)
    criteria = criteria_by_gate([gate])[gate.pk]
    recycled = gate.decisions.filter(outcome=Outcome.RECYCLE).exists()
    settings = RiskSettings.for_organisation(engagement.organisation_id)
    return gate_readiness(gate, criteria, facts, settings, today, recycled=recycled)
