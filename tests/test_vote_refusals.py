"""Votes refused for what they were posted for: a round that has not begun (invalid) or has
ended (stale, saying what was decided), and a gatekeeper since made a vendor contact, who
neither votes nor counts, nor is offered as a gatekeeper or reminded."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.roles import Role
from engagements.enums import Outcome, VoteChoice
from engagements.models import GateVote
from engagements.reminders import due_reminders
from engagements.votes import VoteError, cast_vote, tallies_for, tally_for

from .conftest import decide

APPROVE = VoteChoice.APPROVE


def vote_url(gate):
    return reverse("engagements:vote", args=[gate.engagement_id, gate.number])


def test_a_round_not_begun_is_invalid_and_nothing_is_written(client_for, gate, board):
    with pytest.raises(VoteError, match="Round 3 of gate 1 has not begun") as refused:
        cast_vote(gate, voter=board, choice=APPROVE, expected_round=3)
    assert refused.value.kind == VoteError.INVALID
    response = client_for(board).post(vote_url(gate), {"choice": "approve", "round": "5"})
    assert response.status_code == 422  # was an IndexError: a 500
    page = response.content.decode()
    assert "Round 5 of gate 1 has not begun" in page and 'name="round" value="0"' in page
    htmx = client_for(board).post(
        vote_url(gate), {"choice": "approve", "round": "5"}, HTTP_HX_REQUEST="true"
    )
    assert htmx.status_code == 200 and "has not begun" in htmx.content.decode()
    assert not GateVote.objects.exists()


def test_an_ended_round_is_stale_and_says_what_was_decided(
    client_for, gate, engagement, owner, board
):
    decide(engagement, 1, Outcome.HOLD, owner, on=date(2026, 3, 2))
    response = client_for(board).post(vote_url(gate), {"choice": "approve", "round": "0"})
    assert response.status_code == 409
    assert "Gate 1 was decided meanwhile: Hold on 2 Mar 2026" in response.content.decode()
    assert not GateVote.objects.exists()


def demote(user):
    membership = user.memberships.get()
    membership.role = Role.VENDOR
    membership.save(update_fields=["role"])


def test_a_gatekeeper_made_a_vendor_contact_no_longer_counts_or_votes(
    client_for, gate, owner, board, procurement
):
    cast_vote(gate, voter=board, choice=APPROVE)
    cast_vote(gate, voter=procurement, choice=APPROVE)
    assert tally_for(gate).passes is True
    demote(procurement)
    result = tallies_for([gate])[gate.pk]
    assert procurement not in [m.user for m in result.gatekeepers]
    assert (len(result.gatekeepers), result.approve, result.passes) == (2, 1, None)
    owner_membership = owner.memberships.get()
    engagement = gate.engagement
    engagement.vendor_contacts.add(procurement.memberships.get())
    GateVote.objects.filter(voter=procurement).delete()
    with pytest.raises(VoteError, match="not a gatekeeper") as refused:
        cast_vote(gate, voter=procurement, choice=APPROVE)
    assert refused.value.kind == VoteError.NOT_GATEKEEPER
    # Nor is a vendor contact offered on the gatekeepers page.
    page = client_for(owner).get(
        reverse("engagements:gatekeepers", args=[engagement.pk, gate.number])
    )
    body = page.content.decode()
    assert f'value="{procurement.memberships.get().pk}"' not in body
    assert f'value="{owner_membership.pk}"' in body


def test_reminders_skip_a_gatekeeper_made_a_vendor_contact(gate, engagement, procurement, board):
    demote(procurement)
    due = due_reminders([engagement.pk], date(2026, 3, 1))  # gate 1 due on 2 Mar
    gate_due = {r.recipient for r in due if r.kind == "gate_due"}
    assert board in gate_due and procurement not in gate_due
