"""Deciding on evidence: Go over an unmet must-meet criterion needs an override reason, a
decision against the gatekeepers' votes needs a reason; both are recorded, shown to insiders
and printed, with the readiness and the votes as they stood."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.urls import reverse

from accounts.roles import Role
from engagements.enums import VoteChoice, VoteRule
from engagements.gates import (
    ConditionInput,
    GateError,
    against_votes,
    evidence_errors,
    evidence_reasons,
)
from engagements.models import GateDecision, GateVote, Outcome, PlanBaseline
from engagements.reports import build_context
from engagements.votes import tally

from .conftest import decide, make_member
from .test_engagement_views import decision_payload

pytestmark = pytest.mark.django_db

OVERRIDE = "The board accepts the risk: the data arrives next month."


def meet_gate_1(engagement):
    """Gate 1 with one must-meet criterion, met: data readiness assessed at 80%."""
    gate = engagement.gates.get(number=1)
    gate.criteria.exclude(met_by="data_readiness").delete()
    engagement.data_readiness = 80
    engagement.save(update_fields=["data_readiness"])
    return gate


def gatekeepers(engagement, org, choices, rule=VoteRule.MAJORITY, number=1):
    """Name one gatekeeper per choice (None: not voted yet) and cast their votes."""
    gate = engagement.gates.get(number=number)
    gate.vote_rule = rule
    gate.save(update_fields=["vote_rule"])
    for i, choice in enumerate(choices):
        user = make_member(org, Role.BOARD, email=f"keeper{i}@acme.test")
        gate.gatekeepers.add(user.memberships.get())
        if choice:
            GateVote.objects.create(gate=gate, voter=user, choice=choice, comment=f"Vote {i}.")
    return gate


# --- the rules, without the database ------------------------------------------------------


class FakeTally:
    def __init__(self, passes, gatekeepers=("a", "b", "c")):
        self.passes, self.summary = passes, "1 of 3 approve (majority needed: 2)"
        self.gatekeepers = list(gatekeepers)


@pytest.mark.parametrize(
    ("outcome", "passes", "against"),
    [
        (Outcome.GO, False, True),
        (Outcome.CONDITIONAL_GO, False, True),
        (Outcome.NO_GO, True, True),
        (Outcome.GO, True, False),
        (Outcome.NO_GO, False, False),
        (Outcome.HOLD, False, False),
        (Outcome.RECYCLE, True, False),
        # Votes still pending: a Go-type outcome has not been approved yet.
        (Outcome.GO, None, True),
        (Outcome.CONDITIONAL_GO, None, True),
        (Outcome.NO_GO, None, False),
        (Outcome.HOLD, None, False),
    ],
)
def test_against_the_votes_is_a_go_they_have_not_passed_or_a_no_go_they_pass(
    outcome, passes, against
):
    assert against_votes(outcome, FakeTally(passes)) is against


def test_no_gatekeepers_means_no_vote_to_go_against():
    assert not against_votes(Outcome.GO, None)
    assert not against_votes(Outcome.GO, FakeTally(None, gatekeepers=()))
    assert evidence_errors(Outcome.GO, None, None, "", "") == {}


def test_all_rule_with_two_approvals_and_one_pending_needs_a_reason_for_go():
    keepers = [SimpleNamespace(user_id=n) for n in (1, 2, 3)]
    votes = [SimpleNamespace(voter_id=n, choice="approve") for n in (1, 2)]
    pending = tally(keepers, votes, VoteRule.ALL)
    assert pending.passes is None and against_votes(Outcome.GO, pending)
    errors = evidence_errors(Outcome.GO, None, pending, "", "")
    assert "do not approve this yet (2 of 3 approve" in errors["vote_reason"]
    assert not against_votes(Outcome.NO_GO, pending) and not against_votes(Outcome.HOLD, pending)


def test_a_reason_given_when_nothing_is_overridden_is_not_kept():
    assert evidence_reasons(Outcome.GO, None, FakeTally(True), " why ", " because ") == ("", "")
    assert evidence_reasons(Outcome.GO, None, FakeTally(False), "", " because ") == ("", "because")


# --- the workflow ---------------------------------------------------------------------------


def test_go_with_an_unmet_must_meet_needs_an_override_and_nothing_is_written(engagement, owner):
    with pytest.raises(GateError) as refused:
        decide(engagement, 1, Outcome.GO, owner, override_reason="  ")
    assert refused.value.field == "override_reason"
    message = str(refused.value)
    assert message.startswith("Go with unmet must-meet criteria needs an override reason: ")
    assert "Data readiness" in message or "data readiness" in message
    assert not GateDecision.objects.exists() and not PlanBaseline.objects.exists()
    assert engagement.phases.get(number=2).status == "planned"


def test_conditional_go_over_an_unmet_must_meet_needs_an_override_too(engagement, owner):
    with pytest.raises(GateError, match="needs an override reason"):
        decide(
            engagement,
            1,
            Outcome.CONDITIONAL_GO,
            owner,
            override_reason="",
            conditions=[ConditionInput("Assess data readiness", owner, date(2026, 4, 1))],
        )


def test_the_override_is_recorded_with_the_readiness_it_overrode(engagement, owner):
    decision = decide(engagement, 1, Outcome.GO, owner, override_reason=OVERRIDE)
    decision.refresh_from_db()
    assert decision.override_reason == OVERRIDE
    criteria = decision.readiness["criteria"]
    assert criteria["must_met"] is False and criteria["must_count"][0] < criteria["must_count"][1]
    assert decision.readiness["votes"]["passes"] is None


def test_no_go_and_recycle_need_no_override(engagement, owner):
    decide(engagement, 1, Outcome.RECYCLE, owner, override_reason="", new_end_date=date(2026, 5, 1))
    decision = decide(engagement, 1, Outcome.NO_GO, owner, on=date(2026, 3, 9), override_reason="")
    assert decision.override_reason == ""


def test_go_on_met_musts_keeps_no_override(engagement, owner):
    meet_gate_1(engagement)
    decision = decide(engagement, 1, Outcome.GO, owner, override_reason="Not needed.")
    decision.refresh_from_db()
    assert decision.override_reason == "" and decision.readiness["criteria"]["must_met"]


def test_a_go_the_votes_refuse_needs_a_reason(engagement, owner, org):
    meet_gate_1(engagement)
    gatekeepers(engagement, org, [VoteChoice.APPROVE, VoteChoice.REJECT, VoteChoice.REJECT])
    with pytest.raises(GateError) as refused:
        decide(engagement, 1, Outcome.GO, owner)
    assert refused.value.field == "vote_reason"
    assert "1 of 3 approve" in str(refused.value)
    assert not GateDecision.objects.exists()
    decision = decide(engagement, 1, Outcome.GO, owner, vote_reason="The CFO's veto is lifted.")
    decision.refresh_from_db()
    assert decision.vote_reason == "The CFO's veto is lifted."
    votes = decision.readiness["votes"]
    assert votes["passes"] is False and [v["choice"] for v in votes["votes"]] == [
        "approve",
        "reject",
        "reject",
    ]


def test_a_no_go_the_votes_pass_needs_a_reason(engagement, owner, org):
    gatekeepers(engagement, org, [VoteChoice.APPROVE, VoteChoice.APPROVE, None])
    with pytest.raises(GateError, match="do not support this decision"):
        decide(engagement, 1, Outcome.NO_GO, owner)
    decide(engagement, 1, Outcome.NO_GO, owner, vote_reason="New facts since the vote.")


def test_a_majority_of_two_in_three_passes_and_one_in_three_does_not():
    class Keeper:
        def __init__(self, pk):
            self.user_id, self.pk = pk, pk

    class Vote:
        def __init__(self, voter, choice):
            self.voter_id, self.choice = voter, choice

    keepers = [Keeper(1), Keeper(2), Keeper(3)]
    two = [Vote(1, "approve"), Vote(2, "approve"), Vote(3, "reject")]
    one = [Vote(1, "approve"), Vote(2, "reject"), Vote(3, "reject")]
    assert tally(keepers, two, VoteRule.MAJORITY).passes is True
    assert tally(keepers, one, VoteRule.MAJORITY).passes is False
    assert against_votes(Outcome.GO, tally(keepers, one, VoteRule.MAJORITY))


# --- the page -------------------------------------------------------------------------------


def test_the_gate_shows_readiness_recommendation_and_votes_beside_the_form(
    client_for, owner, org, engagement
):
    gatekeepers(engagement, org, [VoteChoice.APPROVE, None])
    body = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    card = body.content.decode().split('id="gate-1"')[1].split('id="gate-2"')[0]
    assert "Recommended:" in card and "Recycle" in card
    assert "Gatekeepers' votes" in card and "1 of 2 approve" in card
    assert "Override reason" in card and "Conditional Go" in card


def test_posting_go_without_override_says_why_on_the_field(client_for, owner, engagement):
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client_for(owner).post(url, decision_payload(override_reason=""))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_override_reason_error"' in body and "needs an override reason" in body
    htmx = client_for(owner).post(url, decision_payload(override_reason=""), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "needs an override reason" in htmx.content.decode()
    assert not GateDecision.objects.exists()


def test_override_and_vote_reasons_are_shown_to_insiders_only(
    client_for, owner, org, engagement, assigned_vendor
):
    gatekeepers(engagement, org, [VoteChoice.REJECT])
    decide(engagement, 1, Outcome.GO, owner, override_reason=OVERRIDE, vote_reason="<b>Veto</b>")
    url = reverse("engagements:detail", args=[engagement.pk])
    inside = client_for(owner).get(url).content.decode()
    assert OVERRIDE in inside and "&lt;b&gt;Veto&lt;/b&gt;" in inside
    assert "Reject by" in inside  # the votes the decision was made on
    outside = client_for(assigned_vendor).get(url).content.decode()
    assert OVERRIDE not in outside and "Veto" not in outside and "Reject by" not in outside


def test_the_board_pdf_prints_the_override_the_votes_and_the_criteria(
    owner, org, engagement, settings
):
    gatekeepers(engagement, org, [VoteChoice.REJECT])
    decision = decide(
        engagement, 1, Outcome.GO, owner, override_reason=OVERRIDE, vote_reason="Veto lifted."
    )
    context = build_context(decision.gate, owner.memberships.get())
    assert context["readiness_kept"] and context["readiness"]["criteria"]
    assert context["votes"]["reject"] == 1
    from django.template.loader import render_to_string

    html = render_to_string("engagements/board_gate_summary.html", context | {"job": None})
    assert OVERRIDE in html and "Veto lifted." in html
    assert "Gatekeepers' votes" in html and "Reject — " in html
    assert "Gate criteria when the decision was made" in html
    assert "Plan against the last approved baseline" in html
