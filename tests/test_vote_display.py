"""Votes as the pages show them (QA findings on issue 8): a vote cast by someone since taken
off the gatekeepers is marked as not counted, and a rejection says why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagements.enums import VoteChoice, VoteRule
from engagements.models import GateVote
from engagements.votes import (
    REJECT_NEEDS_COMMENT,
    VoteError,
    cast_vote,
    comment_error,
    set_gatekeepers,
    tally_for,
)

pytestmark = pytest.mark.django_db
NOT_COUNTED = "no longer a gatekeeper — not counted"


def vote_url(gate):
    return reverse("engagements:vote", args=[gate.engagement_id, gate.number])


def _board_votes_then_is_removed(gate, owner, board, procurement):
    cast_vote(gate, voter=board, choice=VoteChoice.APPROVE, comment="Ready.")
    cast_vote(gate, voter=owner, choice=VoteChoice.APPROVE, comment="")
    keepers = [u.memberships.get() for u in (owner, procurement)]
    set_gatekeepers(gate, keepers, VoteRule.MAJORITY, by=owner)


def test_a_removed_gatekeepers_vote_is_shown_but_marked_not_counted(
    client_for, gate, engagement, owner, board, procurement
):
    _board_votes_then_is_removed(gate, owner, board, procurement)
    result = tally_for(gate)
    assert result.approve == 1 and result.uncounted == {board.pk}
    assert result.summary.startswith("1 of 2 approve")
    by_voter = {v["voter"]: v["counted"] for v in result.snapshot()["votes"]}
    assert by_voter == {"board@acme.test": False, "owner@acme.test": True}

    client = client_for(owner)
    for url in (vote_url(gate), reverse("engagements:detail", args=[engagement.pk])):
        page = client.get(url).content.decode()
        assert page.count(NOT_COUNTED) == 1, url
        board_line = page[page.index("by board@acme.test") :][:200]
        assert NOT_COUNTED in board_line
        owner_line = page[page.index("by owner@acme.test") :][:200]
        assert NOT_COUNTED not in owner_line


def test_the_votes_of_current_gatekeepers_are_not_marked(client_for, gate, board):
    cast_vote(gate, voter=board, choice=VoteChoice.APPROVE)
    page = client_for(board).get(vote_url(gate)).content.decode()
    assert "by board@acme.test" in page and NOT_COUNTED not in page


def test_a_rejection_needs_a_comment():
    assert comment_error(VoteChoice.REJECT, "  ") == REJECT_NEEDS_COMMENT
    assert REJECT_NEEDS_COMMENT == "Say why you reject, so the owner can act on it."
    assert comment_error(VoteChoice.REJECT, "The runbook is missing.") is None
    assert comment_error(VoteChoice.APPROVE, "") is None
    assert comment_error(VoteChoice.ABSTAIN, "") is None


def test_cast_vote_refuses_a_silent_rejection(gate, board):
    with pytest.raises(VoteError, match="Say why you reject"):
        cast_vote(gate, voter=board, choice=VoteChoice.REJECT, comment=" ")
    assert not GateVote.objects.exists()


def test_the_vote_page_asks_why_on_a_silent_rejection(client_for, gate, board):
    client = client_for(board)
    plain = client.post(vote_url(gate), {"choice": "reject", "comment": "", "round": "0"})
    assert plain.status_code == 422
    assert 'id="id_comment_error">Say why you reject, so the owner can act on it.' in (
        plain.content.decode()
    )
    htmx = client.post(vote_url(gate), {"choice": "reject", "round": "0"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "Say why you reject" in htmx.content.decode()
    assert not GateVote.objects.exists()
    done = client.post(
        vote_url(gate), {"choice": "reject", "comment": "No hold-out yet.", "round": "0"}
    )
    assert done.status_code == 302
    assert GateVote.objects.get().comment == "No hold-out yet."


def test_a_decisions_votes_keep_the_not_counted_mark(
    client_for, gate, engagement, owner, board, procurement
):
    """The decision's snapshot prints the removed gatekeeper's vote as not counted too."""
    from datetime import date

    from engagements.models import Outcome

    from .conftest import decide

    _board_votes_then_is_removed(gate, owner, board, procurement)
    decide(engagement, gate.number, Outcome.HOLD, owner, on=date.today())
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    decided = page.content.decode().split('class="decisions"')[1]
    line = decided[decided.index("by board@acme.test") :][:200]
    assert NOT_COUNTED in line
