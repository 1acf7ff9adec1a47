"""Editing a gate's criteria and giving their evidence: workflows that lock the gate row, re-read
what they check, and save only the fields they own. Two owners editing the same gate are
serialised by the lock, so neither can leave it without a must-meet criterion; a gate decided
meanwhile (a Go, Conditional Go or No-Go) makes its criteria read-only: they are what it was
decided on, and the decision keeps a snapshot of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from accounts.templatetags.people import person

from .enums import CriterionCheck, CriterionKind
from .gates import CLOSED
from .models import Gate, GateCriterion

# What the criterion form owns; evidence is written by `give_evidence` only.
CRITERION_FIELDS = [
    "title",
    "kind",
    "weight",
    "met_by",
    "threshold",
    "checklist",
    "checklist_keys",
    "accept_vendor_data",
]
EVIDENCE_FIELDS = [
    "evidence_note",
    "evidence_link",
    "evidence_document",
    "evidence_on",
    "evidence_by",
    "updated_at",
]
NO_MUST = "A gate needs at least one must-meet criterion."


class CriterionError(Exception):
    """An edit the gate's state does not allow, with a reason for the user; `field` names the
    form field it belongs to, when one does."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False):
        super().__init__(message)
        self.field = field
        # A conflict (409): the gate or the criterion changed since the page was loaded.
        self.conflict = conflict


def read_only_reason(gate: Gate) -> str | None:
    """Why the gate's criteria can no longer change, or None. Reads `gate.decision_list` and
    `gate.engagement`."""
    final = gate.final_decision
    if final:
        return (
            f"Gate {gate.number} was decided: {final.get_outcome_display()} on "
            f"{final.decided_on:%-d %b %Y} by {person(final.decided_by)}. Its criteria are "
            "read-only: they are what it was decided on."
        )
    engagement = gate.engagement
    if engagement.status in CLOSED:
        return (
            f"This engagement is {engagement.get_status_display().lower()}: its gate criteria "
            "are read-only."
        )
    return None


def must_meet_error(kinds: Iterable[str]) -> str | None:
    """Refuse a gate left without a must-meet criterion (a gate that only scores cannot say
    no)."""
    return None if CriterionKind.MUST in set(kinds) else NO_MUST


def _locked(gate: Gate) -> tuple[Gate, list[GateCriterion]]:
    """The gate re-read under a row lock (with its decisions and engagement), its criteria
    locked too; raises when it is read-only."""
    gate = Gate.objects.select_for_update(of=("self",)).select_related("engagement").get(pk=gate.pk)
    reason = read_only_reason(gate)
    if reason:
        raise CriterionError(reason, conflict=True)
    criteria = list(GateCriterion.objects.select_for_update().filter(gate=gate).order_by("id"))
    return gate, criteria


def _find(criteria: list[GateCriterion], criterion_id: int, title: str = "") -> GateCriterion:
    found = next((c for c in criteria if c.pk == criterion_id), None)
    if found is None:
        named = f"“{title}”" if title else "That criterion"
        raise CriterionError(
            f"{named} was removed by someone else meanwhile; reload the page.", conflict=True
        )
    return found


@transaction.atomic
def save_criterion(
    gate: Gate, values: dict, *, criterion_id: int | None = None, title: str = ""
) -> GateCriterion:
    """Add a criterion to `gate` (no `criterion_id`) or change one, from a validated form's
    values (`CRITERION_FIELDS`)."""
    gate, criteria = _locked(gate)
    if criterion_id is None:
        last = max((c.position for c in criteria), default=-1)
        criterion = GateCriterion(engagement_id=gate.engagement_id, gate=gate, position=last + 1)
    else:
        criterion = _find(criteria, criterion_id, title)
    for name in CRITERION_FIELDS:
        if name in values:
            setattr(criterion, name, values[name])
    others = [c.kind for c in criteria if c.pk != criterion.pk]
    error = must_meet_error([*others, criterion.kind])
    if error:
        raise CriterionError(error, field="kind")
    if criterion.pk is None:
        criterion.save()
    else:
        criterion.save(update_fields=[*CRITERION_FIELDS, "updated_at"])
    return criterion


@transaction.atomic
def delete_criterion(gate: Gate, criterion_id: int, *, title: str = "") -> str:
    """Remove a criterion; returns its title. The last must-meet stays."""
    gate, criteria = _locked(gate)
    criterion = _find(criteria, criterion_id, title)
    error = must_meet_error(c.kind for c in criteria if c.pk != criterion.pk)
    if error:
        raise CriterionError(
            f"“{criterion.title}” is this gate's last must-meet criterion. {error}"
        )
    criterion.delete()
    return criterion.title


@transaction.atomic
def give_evidence(
    gate: Gate,
    criterion_id: int,
    *,
    by,
    today: date,
    note: str | None = None,
    link: str | None = None,
    document=None,
    remove_document: bool = False,
    title: str = "",
) -> GateCriterion:
    """Give, change or refresh a criterion's evidence. `None` keeps what is there (a refresh
    posts nothing new); either way the evidence is dated today, by `by`."""
    gate, criteria = _locked(gate)
    criterion = _find(criteria, criterion_id, title)
    if criterion.met_by != CriterionCheck.EVIDENCE:
        raise CriterionError(
            f"“{criterion.title}” is checked automatically from the engagement's own data: "
            "it takes no evidence."
        )
    if note is not None:
        criterion.evidence_note = note
    if link is not None:
        criterion.evidence_link = link
    if document:
        criterion.evidence_document = document
    elif remove_document:
        criterion.evidence_document = ""
    if not criterion.has_evidence:
        raise CriterionError("Give the evidence: a note, a link or a document.")
    criterion.evidence_on, criterion.evidence_by = today, by
    criterion.save(update_fields=EVIDENCE_FIELDS)
    return criterion
