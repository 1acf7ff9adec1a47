"""Gatekeepers and their votes: who votes on a gate, what the votes add up to under the
gate's rule, and the two workflows that change them (naming gatekeepers, casting a vote).

A round is the number of decisions recorded on the gate when a vote is cast: after Hold or
Recycle the gatekeepers vote again on the evidence as it then stands, and the earlier rounds
stay with the decisions they preceded. `tally` is a pure function; the rest read or write
under the gate's row lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation
from accounts.roles import Role
from accounts.templatetags.people import person

from .enums import VoteChoice, VoteRule
from .gates import CLOSED, gate_closed_reason
from .models import Engagement, Gate, GateDecision, GateVote


class VoteError(Exception):
    """A vote or a change of gatekeepers that may not be recorded, with the reason for the
    person. `kind` says which rule refused it, so a view can answer with the right status."""

    NOT_GATEKEEPER = "not_gatekeeper"
    ALREADY_VOTED = "already_voted"
    CLOSED = "closed"
    STALE = "stale"
    INVALID = "invalid"

    def __init__(self, reason: str, kind: str = INVALID):
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True)
class Tally:
    """What the votes of one round add up to under the gate's rule.

    `passes` is True or False as soon as the votes still to come cannot change it, and None
    while they can — or when no gatekeepers are named (the owner then decides alone)."""

    rule: str
    gatekeepers: list = field(default_factory=list)  # Membership rows (with .user)
    votes: list = field(default_factory=list)  # GateVote rows of the round, oldest first
    approve: int = 0
    reject: int = 0
    abstain: int = 0
    pending: list = field(default_factory=list)  # the gatekeepers who have not voted
    passes: bool | None = None
    summary: str = ""
    round: int = 0

    @property
    def needed(self) -> int:
        """Approvals needed: all of them, or more than half."""
        count = len(self.gatekeepers)
        return count if self.rule == VoteRule.ALL else count // 2 + 1

    @property
    def verdict(self) -> str:
        if self.passes is None:
            return "No gatekeepers named" if not self.gatekeepers else "Still open"
        return "The votes approve" if self.passes else "The votes do not approve"

    @property
    def uncounted(self) -> frozenset[int]:
        """The voters (user ids) whose vote this round does not count: they were taken off
        the gatekeepers after voting. Their vote is shown, marked, never tallied."""
        keepers = {m.user_id for m in self.gatekeepers}
        return frozenset(v.voter_id for v in self.votes if v.voter_id not in keepers)

    def vote_of(self, user) -> GateVote | None:
        user_id = getattr(user, "pk", user)
        return next((v for v in self.votes if v.voter_id == user_id), None)

    def is_pending(self, user) -> bool:
        user_id = getattr(user, "pk", user)
        return any(m.user_id == user_id for m in self.pending)

    def snapshot(self) -> dict:
        """JSON-able, kept with a decision (GateDecision.readiness["votes"]) and printed later."""
        uncounted = self.uncounted
        return {
            "rule": self.rule,
            "round": self.round,
            "gatekeepers": [person(m.user) for m in self.gatekeepers],
            "votes": [
                {
                    "voter": person(v.voter),
                    "choice": v.choice,
                    "choice_label": VoteChoice(v.choice).label,
                    "comment": v.comment,
                    "cast_at": v.cast_at.isoformat() if v.cast_at else None,
                    "counted": v.voter_id not in uncounted,
                }
                for v in self.votes
            ],
            "approve": self.approve,
            "reject": self.reject,
            "abstain": self.abstain,
            "pending": [person(m.user) for m in self.pending],
            "passes": self.passes,
            "summary": self.summary,
        }


REJECT_NEEDS_COMMENT = "Say why you reject, so the owner can act on it."


def comment_error(choice: str, comment: str) -> str | None:
    """A rejection says why (the owner acts on it); approve and abstain may stay silent."""
    if choice == VoteChoice.REJECT and not (comment or "").strip():
        return REJECT_NEEDS_COMMENT
    return None


def tally(
    gatekeepers: Sequence[Membership], votes: Iterable[GateVote], rule: str, round: int = 0
) -> Tally:
    """Count one round's votes. Only the gatekeepers' votes count (a vote cast before its
    voter was taken off the list is shown, not counted). Majority: approvals more than half
    the gatekeepers (2 of 3 passes, 1 of 3 does not; an abstention is not an approval). All:
    every gatekeeper approves, so one rejection or abstention fails it."""
    gatekeepers = list(gatekeepers)
    votes = list(votes)
    keeper_ids = {m.user_id for m in gatekeepers}
    counted = {v.voter_id: v for v in votes if v.voter_id in keeper_ids}
    counts = {choice: 0 for choice in VoteChoice.values}
    for vote in counted.values():
        counts[vote.choice] += 1
    approve, reject, abstain = (counts[c] for c in VoteChoice.values)
    pending = [m for m in gatekeepers if m.user_id not in counted]
    total = len(gatekeepers)
    if total == 0:
        passes = None
        summary = "No gatekeepers named: the owner decides without a vote."
    else:
        needed = total if rule == VoteRule.ALL else total // 2 + 1
        if approve >= needed:
            passes = True
        elif approve + len(pending) < needed:
            passes = False
        else:
            passes = None
        need = "all must approve" if rule == VoteRule.ALL else f"majority needed: {needed}"
        parts = [f"{approve} of {total} approve ({need})"]
        if reject:
            parts.append(f"{reject} reject{'s' if reject == 1 else ''}")
        if abstain:
            parts.append(f"{abstain} abstain{'s' if abstain == 1 else ''}")
        if pending:
            parts.append(f"{len(pending)} pending")
        summary = " · ".join(parts)
    return Tally(
        rule=rule,
        gatekeepers=gatekeepers,
        votes=votes,
        approve=approve,
        reject=reject,
        abstain=abstain,
        pending=pending,
        passes=passes,
        summary=summary,
        round=round,
    )


def current_round(gate: Gate) -> int:
    """The number of decisions recorded on the gate: the round its votes now belong to.
    Reads the prefetched decisions when the page has them, else counts."""
    if _has_decisions(gate):
        return len(gate.decisions.all())
    return GateDecision.objects.filter(gate_id=gate.pk).count()


def _has_decisions(gate: Gate) -> bool:
    return "decisions" in getattr(gate, "_prefetched_objects_cache", {})


def _ordered_keepers(queryset):
    return queryset.select_related("user").order_by(
        "user__first_name", "user__last_name", "user__email", "pk"
    )


def tallies_for(gates: Sequence[Gate]) -> dict[int, Tally]:
    """{gate id: Tally} of each gate's current round, in three queries at most whatever the
    number of gates (two when their decisions are prefetched)."""
    gates = list(gates)
    if not gates:
        return {}
    unknown = [
        g.pk for g in gates if "decisions" not in getattr(g, "_prefetched_objects_cache", {})
    ]
    counts = dict.fromkeys(unknown, 0)
    if unknown:
        for gate_id in GateDecision.objects.filter(gate_id__in=unknown).values_list(
            "gate_id", flat=True
        ):
            counts[gate_id] += 1
    rounds = {g.pk: counts[g.pk] if g.pk in counts else len(g.decisions.all()) for g in gates}
    keepers: dict[int, list] = {g.pk: [] for g in gates}
    members = gatekeeper_candidates(Membership.objects.filter(gates_to_keep__in=list(keepers)))
    for membership in members.annotate(gate_id=F("gates_to_keep")):
        keepers[membership.gate_id].append(membership)
    votes: dict[int, list] = {g.pk: [] for g in gates}
    for vote in GateVote.objects.filter(gate_id__in=list(votes)).select_related("voter"):
        if vote.round == rounds[vote.gate_id]:
            votes[vote.gate_id].append(vote)
    return {g.pk: tally(keepers[g.pk], votes[g.pk], g.vote_rule, rounds[g.pk]) for g in gates}


def tally_for(gate: Gate) -> Tally:
    """This round's tally of one gate."""
    return tallies_for([gate])[gate.pk]


def vote_link(gate: Gate) -> str:
    """The absolute address of the gate's vote page, for e-mails."""
    path = reverse("engagements:vote", args=[gate.engagement_id, gate.number])
    return settings.SITE_URL.rstrip("/") + path


def _locked_gate(gate: Gate) -> tuple[Engagement, Gate, list, list[GateDecision]]:
    """The engagement and the gate, locked and re-read, with the phases and decisions."""
    engagement = Engagement.objects.select_for_update().get(pk=gate.engagement_id)
    locked = Gate.objects.select_for_update().get(pk=gate.pk)
    locked.engagement = engagement
    phases = list(engagement.phases.all())
    engagement.__dict__["phase_list"] = phases  # what `gate.due_date` reads
    decisions = list(locked.decisions.select_related("decided_by"))
    return engagement, locked, phases, decisions


def cast_vote(
    gate: Gate, *, voter, choice: str, comment: str = "", expected_round: int | None = None
) -> GateVote:
    """Record `voter`'s vote on the gate's current round. Refused (VoteError) when a
    rejection gives no comment, when they are not one of its gatekeepers, have already voted
    this round, or the gate is not open; when `expected_round` (the round the form was shown
    for) is given and a decision was recorded meanwhile, the vote is not moved into the new
    round unseen (stale); a round not begun yet is invalid. The gate's row lock orders
    simultaneous votes; the unique constraint backs it up."""
    if choice not in VoteChoice.values:
        raise VoteError("Choose approve, reject or abstain.")
    error = comment_error(choice, comment)
    if error:
        raise VoteError(error)
    try:
        with transaction.atomic():
            engagement, locked, phases, decisions = _locked_gate(gate)
            reason = gate_closed_reason(engagement, locked.number, phases, decisions)
            if reason:
                raise VoteError(reason, VoteError.CLOSED)
            keeper = gatekeeper_candidates(locked.gatekeepers.all()).filter(user=voter).first()
            if keeper is None:
                raise VoteError(
                    f"You are not a gatekeeper of gate {locked.number}: only the gatekeepers "
                    "the owner named vote. Ask the engagement's owner to name you.",
                    VoteError.NOT_GATEKEEPER,
                )
            round_ = len(decisions)
            if expected_round is not None and expected_round > round_:
                raise VoteError(
                    f"Round {expected_round} of gate {locked.number} has not begun: the "
                    f"gatekeepers vote in round {round_} now. Reload the page and vote again.",
                    VoteError.INVALID,
                )
            if expected_round is not None and expected_round < round_:
                latest = decisions[-1]
                raise VoteError(
                    f"Gate {locked.number} was decided meanwhile: "
                    f"{latest.get_outcome_display()} on {latest.decided_on:%-d %b %Y} by "
                    f"{person(latest.decided_by)}. The gatekeepers vote again on the evidence "
                    "as it stands now: review it and vote again.",
                    VoteError.STALE,
                )
            earlier = GateVote.objects.filter(gate=locked, round=round_, voter=voter).first()
            if earlier:
                raise VoteError(_already_voted(earlier), VoteError.ALREADY_VOTED)
            return GateVote.objects.create(
                gate=locked, round=round_, voter=voter, choice=choice, comment=comment.strip()
            )
    except IntegrityError as exc:
        # The lock makes this unreachable; the constraint is the last line of defence.
        if "one_vote_per_gatekeeper_and_round" not in str(exc):
            raise
        earlier = GateVote.objects.filter(gate=gate, voter=voter).order_by("-round").first()
        reason = _already_voted(earlier) if earlier else "You have already voted this round."
        raise VoteError(reason, VoteError.ALREADY_VOTED) from exc


def _already_voted(vote: GateVote) -> str:
    when = vote.cast_at
    stamp = f"{timezone.localtime(when):%-d %b %Y at %H:%M}" if when else "earlier"
    return (
        f"You already voted {vote.get_choice_display()} on gate {vote.gate.number} in this "
        f"round, {stamp}. A vote is not changed: the next round starts after a Hold or Recycle."
    )


def gatekeepers_closed_reason(engagement: Engagement, decisions: Sequence[GateDecision]) -> str:
    """Why the gatekeepers of a gate can no longer change, or "" when they can."""
    final = next((d for d in decisions if d.is_final), None)
    if final:
        return (
            f"This gate was already decided: {final.get_outcome_display()} on "
            f"{final.decided_on:%-d %b %Y} by {person(final.decided_by)}. Its gatekeepers "
            "stay as they voted."
        )
    if engagement.status in CLOSED:
        return f"This engagement is {engagement.get_status_display().lower()}."
    return ""


def gatekeeper_candidates(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Who, of `memberships`, may be a gatekeeper: internal members (board members
    included), never vendor contacts. The one rule for naming them (the form's choices and
    `set_gatekeepers`) and for reading them (`tallies_for`, `cast_vote`, reminders): a
    gatekeeper later made a vendor contact no longer votes or counts."""
    return _ordered_keepers(memberships.exclude(role=Role.VENDOR))


def set_gatekeepers(gate: Gate, memberships: Iterable[Membership], rule: str, *, by) -> list:
    """Name the gate's gatekeepers and its rule; returns the newly named (each is mailed the
    question, the due date and the link to vote, once the transaction commits). Refused once
    the gate has a final decision. The choice is re-read under the organisation's lock (the
    one role changes take), so nobody made a vendor contact a moment ago is named."""
    if rule not in VoteRule.values:
        raise VoteError("Choose the rule: all gatekeepers approve, or a majority.")
    chosen = {m.pk for m in memberships}
    with transaction.atomic():
        engagement, locked, _, decisions = _locked_gate(gate)
        reason = gatekeepers_closed_reason(engagement, decisions)
        if reason:
            raise VoteError(reason, VoteError.CLOSED)
        Organisation.objects.select_for_update().filter(pk=engagement.organisation_id).first()
        members = Membership.objects.filter(organisation_id=engagement.organisation_id)
        allowed = list(gatekeeper_candidates(members).filter(pk__in=chosen))
        if len(allowed) != len(chosen):
            raise VoteError(
                "One of those people is no longer an internal member here; reload the page."
            )
        before = set(locked.gatekeepers.values_list("pk", flat=True))
        locked._history_user = by
        if locked.vote_rule != rule:
            locked.vote_rule = rule
            locked.save(update_fields=["vote_rule"])
        locked.gatekeepers.set(allowed)
        added = [m for m in allowed if m.pk not in before]
        for membership in added:
            _mail_new_gatekeeper(locked, membership, by)
    return added


def _mail_new_gatekeeper(gate: Gate, membership: Membership, by) -> None:
    user = membership.user
    if not user.is_active or not user.email:
        return
    engagement = gate.engagement
    context = {
        "gate": gate,
        "engagement": engagement,
        "named_by": person(by) if by else "The engagement's owner",
        "due_date": gate.due_date,
        "rule": VoteRule(gate.vote_rule).label,
        "link": vote_link(gate),
    }
    send_mail(
        subject=f"Your vote on gate {gate.number} of “{engagement.title}”",
        message=render_to_string("engagements/email/gatekeeper_named.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
