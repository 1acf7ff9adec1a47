"""Demo gatekeepers and votes: on each running engagement's next gate, the owner and the board
member are gatekeepers (majority) and the owner has voted, so the gate shows a tally with the
board member's vote still pending — log in as the board member to cast it."""

from __future__ import annotations

from collections import Counter
from datetime import date

from accounts.models import Membership
from accounts.roles import Role

from ..enums import EngagementStatus, VoteChoice, VoteRule
from ..models import Engagement, Gate, GateDecision, GateVote

COMMENT = (
    "The baseline beats the agreed threshold on the client's own hold-out data, and the data "
    "readiness gaps have owners. Approve, provided the next phase starts with MLOps in place."
)


def seed_gate_votes(engagements: list[Engagement], members: dict, today: date) -> int:
    """Name gatekeepers on the next gate of every active engagement that has none yet, and
    record the owner's vote; returns how many gates were set up. Bulk writes, a fixed number
    of queries whatever the number of engagements; running it again adds nothing."""
    owner: Membership = members[Role.OWNER]
    board: Membership = members[Role.BOARD]
    active = (
        Engagement.objects.filter(
            pk__in=[e.pk for e in engagements], status=EngagementStatus.ACTIVE
        )
        .prefetch_related("phases", "gates")
        .order_by("pk")
    )
    gates = [e.next_gate for e in active if e.next_gate]
    through = Gate.gatekeepers.through
    named = set(
        through.objects.filter(gate_id__in=[g.pk for g in gates]).values_list("gate_id", flat=True)
    )
    gates = [g for g in gates if g.pk not in named]
    if not gates:
        return 0
    rounds = Counter(
        GateDecision.objects.filter(gate_id__in=[g.pk for g in gates]).values_list(
            "gate_id", flat=True
        )
    )
    Gate.objects.filter(pk__in=[g.pk for g in gates]).update(vote_rule=VoteRule.MAJORITY)
    through.objects.bulk_create(
        [through(gate_id=g.pk, membership_id=m.pk) for g in gates for m in (owner, board)],
        batch_size=500,
    )
    GateVote.objects.bulk_create(
        [
            GateVote(
                gate=g,
                round=rounds[g.pk],
                voter_id=owner.user_id,
                choice=VoteChoice.APPROVE,
                comment=COMMENT,
            )
            for g in gates
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return len(gates)
