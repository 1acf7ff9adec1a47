"""What the engagement page's gate cards show beside the decision: the next gate's readiness
and recommendation, the gatekeepers' tally, the conditions of Conditional Go decisions, why
the next gate is closed while one is open. (The plan against the last approved baseline is
`baselines.baseline_panel`.)

Read once per page from the facts the page's health reads too (`engagements.facts`), so the
page's query count stays fixed whatever the engagement holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model

from accounts.models import Membership
from accounts.tenancy import RestrictedPrefetch

from ..conditions import condition_owners, is_overdue
from ..criteria import gate_readiness
from ..enums import Outcome
from ..facts import Facts, facts_for
from ..forms.conditions import condition_formset
from ..gates import open_condition_reason
from ..models import GateCondition, GateCriterion, RiskSettings
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
    settings = RiskSettings.for_organisation(engagement.organisation_id)
    evidence = PageEvidence(facts, settings, with_money)
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
    """The Conditional Go's conditions formset: owners among the organisation's insiders
    (`conditions.condition_owners`), as the member may see them."""
    members = condition_owners(Membership.objects.restrict(request.membership))
    owners = (
        get_user_model()
        .objects.filter(memberships__in=members)
        .distinct()
        .order_by("first_name", "last_name", "email")
    )
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


def is_conditional_go(data) -> bool:
    return data.get("outcome") == Outcome.CONDITIONAL_GO
