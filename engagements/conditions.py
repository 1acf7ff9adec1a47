"""The conditions of a Conditional Go (tasks with an owner and a due date): who may own one,
who may mark one done, and marking it, under a row lock. While one is open the next gate stays
closed (`gates.gate_closed_reason`); an overdue one is a risk (`risks.py`)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import Membership
from accounts.roles import INTERNAL, Role
from accounts.templatetags.people import person

from .enums import ConditionStatus
from .models import GateCondition

# Besides the condition's own owner, who may mark any condition done.
MARKERS = (Role.OWNER, Role.ADMIN)


def condition_owners(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Who, of `memberships`, may own a condition: the organisation's insiders only. The
    client confirms a condition met (as with the IP checklist), so a vendor contact never
    owns one. The one rule the decision form's choices, `actions.record_decision` and the
    reminders read."""
    return memberships.filter(role__in=INTERNAL)


class ConditionError(Exception):
    """A condition that cannot be marked done now, with the reason for the user."""


def mark_done_refusal(membership, condition: GateCondition) -> str | None:
    """Why `membership` may not mark `condition` done, or None: owners and admins may, and
    the condition's own owner."""
    if membership.role in MARKERS or condition.owner_id == membership.user_id:
        return None
    owner = person(condition.owner) if condition.owner else "its owner"
    return (
        f"Only {owner} (the condition's owner) or the engagement's owners and admins mark "
        f"“{condition.title}” done."
    )


def is_overdue(condition: GateCondition, today: date) -> bool:
    return condition.is_open and condition.due_date < today


@transaction.atomic
def mark_done(condition: GateCondition, *, by, note: str, today: date) -> GateCondition:
    """Mark `condition` done today with a note on how it was met. Locks and re-reads the row:
    if someone marked it done meanwhile, say by whom and when; nothing is written twice."""
    locked = GateCondition.objects.select_for_update().get(pk=condition.pk)
    if not locked.is_open:
        done_by = GateCondition.objects.select_related("done_by").get(pk=locked.pk).done_by
        who = person(done_by) if done_by else "someone"
        raise ConditionError(
            f"“{locked.title}” was already marked done by {who} on {locked.done_on:%-d %b %Y}."
        )
    locked.status, locked.done_on, locked.done_by = ConditionStatus.DONE, today, by
    locked.note = note.strip()
    locked.save(update_fields=["status", "done_on", "done_by", "note"])
    return locked
