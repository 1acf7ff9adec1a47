"""What the engagement page's gate cards show beside the decision: the next gate's readiness
and recommendation, the gatekeepers' tally, the conditions of Conditional Go decisions, why
the next gate is closed while one is open, and the plan against the last approved baseline.

Read once per page from the facts the page's health reads too (`engagements.facts`), so the
page's query count stays fixed whatever the engagement holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts.tenancy import RestrictedPrefetch

from ..baselines import baseline_drift, plan_drift_days
from ..conditions import is_overdue
from ..criteria import gate_readiness
from ..enums import Outcome
from ..facts import Facts, facts_for
from ..forms.conditions import condition_formset
from ..forms.delivery import assignable_people
from ..gates import open_condition_reason
from ..health import risk_settings
from ..models import ChangeRequestStatus, GateCondition, GateCriterion
from ..money import budget_approved
from ..votes import tally_for


@dataclass
class PageEvidence:
    """The facts and thresholds of one engagement page, and its next gate's evidence (for
    members who may see gate deliberations)."""

    facts: Facts
    settings: object
    with_money: bool
    readiness: object = None  # criteria.Readiness of the next gate
    tally: object = None  # votes.Tally of the next gate
    blocked: str | None = None  # why the next gate is closed by an open condition


def conditions_prefetch(membership) -> RestrictedPrefetch:
    """The engagement's conditions (all, as the member may read them): one query."""
    return RestrictedPrefetch("gate_conditions", membership, GateCondition.objects.for_list())


def page_evidence(request, engagement, today: date) -> PageEvidence:
    membership = request.membership
    with_money = membership.can("engagement.view_internal")
    facts = facts_for(engagement, today, with_money=with_money)
    evidence = PageEvidence(facts, risk_settings(engagement.organisation_id), with_money)
    gate = engagement.next_gate
    if gate is None:
        return evidence
    evidence.blocked = open_condition_reason(gate.number, facts.open_conditions)
    if membership.can("gate.view"):
        criteria = GateCriterion.objects.restrict(membership).filter(gate=gate).for_gate()
        evidence.readiness = gate_readiness(gate, criteria, facts, evidence.settings, today)
        evidence.tally = tally_for(gate)
    return evidence


def conditions_form(request, engagement, data=None, decided_on=None):
    """The Conditional Go's conditions formset: owners among the organisation's insiders and
    this engagement's vendor contacts."""
    owners = assignable_people(request.membership, engagement)
    return condition_formset(data, owners=owners, decided_on=decided_on)


def attach_conditions(engagement, today: date) -> None:
    """Each decision's conditions as `decision.condition_list` (from the prefetched
    `gate_conditions`), each marked `overdue`."""
    by_decision: dict[int, list] = {}
    for condition in engagement.gate_conditions.all():
        condition.overdue = is_overdue(condition, today)
        by_decision.setdefault(condition.decision_id, []).append(condition)
    for gate in engagement.gate_list:
        for decision in gate.decision_list:
            decision.condition_list = by_decision.get(decision.pk, [])


def baseline_panel(engagement, evidence: PageEvidence) -> dict | None:
    """The plan against the last approved baseline, or None before the first Go."""
    baseline = evidence.facts.baseline
    if baseline is None:
        return None
    drift = baseline_drift(baseline, engagement.phase_list)
    panel = {"baseline": baseline, "rows": drift, "plan_days": plan_drift_days(drift)}
    if evidence.with_money and baseline.budget_approved is not None:
        changes = sum(
            (
                c.impact_money or Decimal(0)
                for c in evidence.facts.change_requests
                if c.status == ChangeRequestStatus.APPROVED
            ),
            Decimal(0),
        )
        now = budget_approved(engagement.budget, changes)
        panel |= {"budget_then": baseline.budget_approved, "budget_now": now}
        panel["budget_change"] = now - baseline.budget_approved
    return panel


def is_conditional_go(data) -> bool:
    return data.get("outcome") == Outcome.CONDITIONAL_GO
