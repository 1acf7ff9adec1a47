"""Gatekeepers and their votes: the tally's rules, the vote page, the gatekeepers page and
its e-mail, and the refusals (not a gatekeeper, voting twice, a gate already decided)."""

from __future__ import annotations

import threading
from datetime import date
from html import escape
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from engagements.enums import Outcome, VoteChoice, VoteRule
from engagements.models import GateVote
from engagements.votes import (
    VoteError,
    cast_vote,
    current_round,
    set_gatekeepers,
    tallies_for,
    tally,
    tally_for,
)

from .conftest import decide, make_engagement, make_member

APPROVE, REJECT, ABSTAIN = VoteChoice.APPROVE, VoteChoice.REJECT, VoteChoice.ABSTAIN


# --- The tally, without the database ------------------------------------------------------


def keepers(count):
    return [SimpleNamespace(user_id=n, user=None) for n in range(1, count + 1)]


def cast(*choices):
    return [SimpleNamespace(voter_id=n, choice=c) for n, c in enumerate(choices, start=1)]


def test_majority_with_two_of_three_approvals_passes():
    result = tally(keepers(3), cast(APPROVE, APPROVE, REJECT), VoteRule.MAJORITY)
    assert result.passes is True
    assert result.summary == "2 of 3 approve (majority needed: 2) · 1 rejects"


def test_majority_with_one_of_three_approvals_does_not_pass():
    result = tally(keepers(3), cast(APPROVE, REJECT, ABSTAIN), VoteRule.MAJORITY)
    assert result.passes is False
    assert (result.approve, result.reject, result.abstain) == (1, 1, 1)


def test_majority_is_decided_as_soon_as_the_remaining_votes_cannot_change_it():
    assert tally(keepers(3), cast(APPROVE, APPROVE), VoteRule.MAJORITY).passes is True
    assert tally(keepers(3), cast(REJECT, REJECT), VoteRule.MAJORITY).passes is False
    open_ = tally(keepers(3), cast(APPROVE), VoteRule.MAJORITY)
    assert open_.passes is None
    assert open_.summary == "1 of 3 approve (majority needed: 2) · 2 pending"
    # Half is not a majority: 2 of 4 does not pass.
    assert tally(keepers(4), cast(APPROVE, APPROVE, REJECT, REJECT), "majority").passes is False


def test_all_rule_fails_on_an_abstention():
    result = tally(keepers(3), cast(APPROVE, ABSTAIN), VoteRule.ALL)
    assert result.passes is False  # decided already: the third vote cannot save it
    assert tally(keepers(3), cast(APPROVE, APPROVE, APPROVE), VoteRule.ALL).passes is True
    assert tally(keepers(3), cast(APPROVE, APPROVE), VoteRule.ALL).passes is None


def test_no_gatekeepers_means_no_verdict():
    result = tally([], [], VoteRule.MAJORITY)
    assert result.passes is None
    assert "No gatekeepers" in result.summary


def test_a_vote_by_someone_no_longer_a_gatekeeper_is_shown_not_counted():
    votes = cast(APPROVE, APPROVE, APPROVE)  # voter 3 was taken off the list
    result = tally(keepers(2), votes, VoteRule.ALL)
    assert result.approve == 2 and len(result.votes) == 3 and result.passes is True


# --- Workflows ----------------------------------------------------------------------------


def test_two_of_three_gatekeepers_approving_pass_the_gate(gate, owner, board, procurement):
    cast_vote(gate, voter=owner, choice=APPROVE, comment="KPI met on our data.")
    assert tally_for(gate).passes is None
    cast_vote(gate, voter=board, choice=APPROVE, comment="")
    result = tally_for(gate)
    assert result.passes is True
    assert [m.user for m in result.pending] == [procurement]
    snapshot = result.snapshot()
    assert snapshot["passes"] is True and snapshot["votes"][0]["comment"] == "KPI met on our data."


def test_a_non_gatekeeper_cannot_vote(gate, admin):
    with pytest.raises(VoteError, match="not a gatekeeper") as refused:
        cast_vote(gate, voter=admin, choice=APPROVE)
    assert refused.value.kind == VoteError.NOT_GATEKEEPER
    assert not GateVote.objects.exists()


def test_voting_twice_is_refused_and_says_what_was_voted(gate, board):
    cast_vote(gate, voter=board, choice=REJECT, comment="No client hold-out yet.")
    with pytest.raises(VoteError, match="already voted Reject") as refused:
        cast_vote(gate, voter=board, choice=APPROVE)
    assert refused.value.kind == VoteError.ALREADY_VOTED
    assert GateVote.objects.get().choice == REJECT


def test_after_a_hold_the_gatekeepers_vote_again(gate, engagement, owner, board):
    cast_vote(gate, voter=board, choice=REJECT, comment="Not yet.")
    decide(engagement, 1, Outcome.HOLD, owner, vote_reason="Holding on the board's doubts.")
    assert current_round(gate) == 1
    fresh = tally_for(gate)
    assert fresh.round == 1 and fresh.votes == [] and len(fresh.pending) == 3
    vote = cast_vote(gate, voter=board, choice=APPROVE, comment="Cleared now.")
    assert vote.round == 1
    assert tally_for(gate).approve == 1
    # A form shown before the Hold does not slip into the new round unseen.
    with pytest.raises(VoteError, match="decided meanwhile: Hold") as stale:
        cast_vote(gate, voter=owner, choice=APPROVE, expected_round=0)
    assert stale.value.kind == VoteError.STALE


def test_no_vote_once_the_gate_is_decided(gate, engagement, owner, board):
    decide(engagement, 1, Outcome.NO_GO, owner, vote_reason="Stopping.")
    with pytest.raises(VoteError, match="no further gate decisions"):
        cast_vote(gate, voter=board, choice=APPROVE)


def test_gatekeepers_are_internal_members_only(engagement, owner, vendor):
    gate = engagement.gates.get(number=1)
    with pytest.raises(VoteError, match="no longer an internal member"):
        set_gatekeepers(gate, [vendor.memberships.get()], VoteRule.ALL, by=owner)
    assert not gate.gatekeepers.exists()


def test_gatekeepers_cannot_change_once_the_gate_is_decided(gate, engagement, owner, admin):
    decide(engagement, 1, Outcome.GO, owner, vote_reason="Decided.")
    with pytest.raises(VoteError, match="already decided: Go"):
        set_gatekeepers(gate, [admin.memberships.get()], VoteRule.ALL, by=owner)
    assert gate.gatekeepers.count() == 3


def test_tallies_take_the_same_queries_for_one_gate_or_many(org, owner, board):
    def queries_for(count):
        gates = []
        for i in range(count):
            engagement = make_engagement(org, owner, title=f"E{i}")
            gate = engagement.gates.get(number=1)
            set_gatekeepers(gate, [board.memberships.get()], VoteRule.ALL, by=owner)
            cast_vote(gate, voter=board, choice=APPROVE)
            gates.append(gate)
        with CaptureQueriesContext(connection) as queries:
            result = tallies_for(gates)
        assert all(t.passes for t in result.values())
        return len(queries)

    assert queries_for(1) == queries_for(4) == 3


@pytest.mark.django_db(transaction=True)
def test_one_gatekeeper_voting_in_two_tabs_at_once_leaves_one_vote(org, owner):
    board = make_member(org, Role.BOARD, email="board-race@acme.test")
    engagement = make_engagement(org, owner)
    gate = engagement.gates.get(number=1)
    set_gatekeepers(gate, [board.memberships.get()], VoteRule.ALL, by=owner)
    barrier = threading.Barrier(2)
    results = []

    def attempt(choice):
        try:
            barrier.wait()
            cast_vote(gate, voter=board, choice=choice, comment="Voted in a race.")
            results.append("ok")
        except VoteError as exc:
            results.append(exc.kind)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in (APPROVE, REJECT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [VoteError.ALREADY_VOTED, "ok"]
    assert GateVote.objects.filter(gate=gate).count() == 1


# --- Pages --------------------------------------------------------------------------------


def vote_url(gate):
    return reverse("engagements:vote", args=[gate.engagement_id, gate.number])


def keepers_url(gate):
    return reverse("engagements:gatekeepers", args=[gate.engagement_id, gate.number])


def test_the_vote_page_shows_the_question_the_votes_and_the_form(client_for, gate, owner, board):
    cast_vote(gate, voter=owner, choice=APPROVE, comment="<b>Looks</b> ready.")
    page = client_for(board).get(vote_url(gate)).content.decode()
    assert escape(gate.question) in page
    assert "2 Mar 2026" in page  # due (or overdue since), whatever day the test runs
    assert "1 of 3 approve (majority needed: 2) · 2 pending" in page
    assert "&lt;b&gt;Looks&lt;/b&gt; ready." in page  # hostile text escaped
    assert 'name="choice"' in page and "Cast vote" in page


def test_a_gatekeeper_votes_from_the_page(client_for, gate, board):
    response = client_for(board).post(
        vote_url(gate), {"choice": "approve", "comment": "Fine.", "round": "0"}
    )
    assert response.status_code == 302
    vote = GateVote.objects.get()
    assert (vote.voter, vote.choice, vote.comment) == (board, "approve", "Fine.")
    page = client_for(board).get(vote_url(gate)).content.decode()
    assert "You voted <strong>Approve</strong>" in page and "Cast vote" not in page


def test_a_non_gatekeepers_vote_is_refused_with_403_and_the_reason(client_for, gate, admin):
    response = client_for(admin).post(vote_url(gate), {"choice": "approve", "round": "0"})
    assert response.status_code == 403
    assert "You are not a gatekeeper of gate 1" in response.content.decode()
    assert not GateVote.objects.exists()


def test_voting_twice_from_the_page_is_refused(client_for, gate, board):
    client = client_for(board)
    client.post(vote_url(gate), {"choice": "reject", "comment": "Not yet.", "round": "0"})
    again = client.post(vote_url(gate), {"choice": "approve", "round": "0"})
    assert again.status_code == 422
    assert "You already voted Reject on gate 1" in again.content.decode()
    htmx = client.post(vote_url(gate), {"choice": "approve", "round": "0"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert "You already voted Reject" in htmx.content.decode()
    assert GateVote.objects.get().choice == "reject"


def test_an_invalid_vote_says_what_to_choose(client_for, gate, board):
    response = client_for(board).post(vote_url(gate), {"choice": "maybe", "round": "0"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not GateVote.objects.exists()


def test_a_vote_posted_from_a_tab_older_than_a_hold_is_not_counted(
    client_for, gate, engagement, owner, board
):
    decide(engagement, 1, Outcome.HOLD, owner, vote_reason="Waiting for legal.")
    response = client_for(board).post(vote_url(gate), {"choice": "approve", "round": "0"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Gate 1 was decided meanwhile: Hold" in page
    assert 'name="round" value="1"' in page  # sending it again votes in the new round
    assert not GateVote.objects.exists()


def test_naming_gatekeepers_mails_the_new_ones_a_link_to_vote(
    client_for,
    engagement,
    owner,
    board,
    procurement,
    mail_via_worker,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SITE_URL = "https://handover.example"
    gate = engagement.gates.get(number=1)
    client = client_for(owner)
    data = {"gatekeepers": [board.memberships.get().pk], "rule": "all"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(keepers_url(gate), data)
    assert response.status_code == 302
    assert response.url.endswith(f"#gate-{gate.number}")
    gate.refresh_from_db()
    assert gate.vote_rule == "all" and [m.user for m in gate.gatekeepers.all()] == [board]
    [mail] = mail_via_worker
    assert mail.to == [board.email]
    link = f"https://handover.example/engagements/{engagement.pk}/gates/1/vote/"
    assert link in mail.body and gate.question in mail.body and "2 March 2026" in mail.body

    # Saving again with one more: only the newly named is mailed.
    data["gatekeepers"].append(procurement.memberships.get().pk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(keepers_url(gate), data)
    assert [m.to for m in mail_via_worker] == [[board.email], [procurement.email]]


def test_the_gatekeepers_page_offers_insiders_only(client_for, engagement, owner, board, vendor):
    gate = engagement.gates.get(number=1)
    page = client_for(owner).get(keepers_url(gate)).content.decode()
    assert board.email in page and vendor.email not in page
    response = client_for(owner).post(
        keepers_url(gate), {"gatekeepers": [vendor.memberships.get().pk], "rule": "all"}
    )
    assert response.status_code == 422
    assert "no longer an internal member" in response.content.decode()
    assert not gate.gatekeepers.exists()


def test_a_board_member_reads_the_gatekeepers_but_cannot_change_them(client_for, gate, board):
    client = client_for(board)
    page = client.get(keepers_url(gate)).content.decode()
    assert "Save gatekeepers" not in page and board.email in page
    response = client.post(keepers_url(gate), {"gatekeepers": [], "rule": "all"})
    assert response.status_code == 403
    assert gate.gatekeepers.count() == 3


def test_a_decided_gates_gatekeepers_are_refused_with_the_reason(
    client_for, gate, engagement, owner
):
    decide(engagement, 1, Outcome.GO, owner, vote_reason="Decided.")
    response = client_for(owner).post(keepers_url(gate), {"gatekeepers": [], "rule": "all"})
    assert response.status_code == 409
    assert "This gate was already decided: Go on 2 Mar 2026" in response.content.decode()
    assert gate.gatekeepers.count() == 3


def test_voting_refused_on_a_gate_not_yet_open(client_for, engagement, owner, board):
    gate = engagement.gates.get(number=2)
    set_gatekeepers(gate, [board.memberships.get()], VoteRule.ALL, by=owner)
    page = client_for(board).get(vote_url(gate)).content.decode()
    assert "decide gate 1 first" in page and "Cast vote" not in page


# --- Demo ---------------------------------------------------------------------------------


def test_the_demo_names_gatekeepers_and_casts_one_vote(org):
    from engagements.demo import seed_engagements
    from engagements.demo.votes import seed_gate_votes
    from engagements.models import Engagement

    members = {
        role: make_member(org, role).memberships.get()
        for role in (Role.OWNER, Role.BOARD, Role.VENDOR)
    }
    today = date(2026, 11, 2)
    seed_engagements(org, 7, members[Role.OWNER], members[Role.VENDOR], today)
    engagements = list(Engagement.objects.filter(organisation=org).prefetch_related("phases"))
    assert seed_gate_votes(engagements, members, today) >= 3
    assert seed_gate_votes(engagements, members, today) == 0  # a second run adds nothing
    gate = next(e.next_gate for e in engagements if e.next_gate)
    result = tally_for(gate)
    assert [m.user for m in result.pending] == [members[Role.BOARD].user]
    assert result.summary == "1 of 2 approve (majority needed: 2) · 1 pending"
