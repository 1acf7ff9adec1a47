"""Change-request workflows (R26): propose, then one recorded transition — approve or reject
(owners), or withdraw (the requester) — only from Proposed. Approval moves the plan's later
dates by the impact weeks, the way a Recycle does (`gates.apply_decision`): the phase that is
running (or, before the start, the first) ends that much later and the phases after it move by
as much. The budget is not edited: budget approved is computed (`money.budget_approved`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.templatetags.people import person

from .enums import PhaseStatus
from .models import ChangeRequest, ChangeRequestStatus, Engagement, Phase
from .models.milestones import move_milestones
from .money import is_closed
from .planning import LATEST

# The phase fields an approval changes; it saves only these.
SHIFTED_FIELDS = ["planned_start", "planned_end"]
DECISION_FIELDS = ["status", "decided_by", "decided_at", "plan_end_before", "plan_end_after"]


class ChangeRequestError(Exception):
    """A transition the change request's state does not allow, with a reason for the user."""


def closed_reason(engagement: Engagement) -> str | None:
    if is_closed(engagement.status):
        return (
            f"This engagement is {engagement.get_status_display().lower()}: its scope can no "
            "longer change."
        )
    return None


@transaction.atomic
def propose(
    engagement: Engagement,
    *,
    requested_by,
    title: str,
    reason: str,
    impact_weeks: int,
    impact_money: Decimal,
) -> ChangeRequest:
    """Record a proposed change request. The caller has checked the proposer may reach the
    engagement (`get_scoped`: a vendor contact only an engagement assigned to them)."""
    locked = Engagement.objects.select_for_update().only("pk", "status").get(pk=engagement.pk)
    reason_closed = closed_reason(locked)
    if reason_closed:
        raise ChangeRequestError(reason_closed)
    change = ChangeRequest(
        engagement_id=engagement.pk,
        title=title,
        reason=reason,
        requested_by=requested_by,
        impact_weeks=impact_weeks,
        impact_money=impact_money,
    )
    change._history_user = requested_by
    change.save()
    return change


def approve(change_request: ChangeRequest, *, by) -> ChangeRequest:
    return _decide(change_request, ChangeRequestStatus.APPROVED, by)


def reject(change_request: ChangeRequest, *, by) -> ChangeRequest:
    return _decide(change_request, ChangeRequestStatus.REJECTED, by)


def withdraw(change_request: ChangeRequest, *, by) -> ChangeRequest:
    return _decide(change_request, ChangeRequestStatus.WITHDRAWN, by)


@transaction.atomic
def _decide(change_request: ChangeRequest, status: str, by) -> ChangeRequest:
    """Lock the engagement, the change request and the phases (in that order, as
    `record_decision` does), re-read them, check the transition against what is stored now,
    and write only the fields the transition owns."""
    engagement = Engagement.objects.select_for_update().get(pk=change_request.engagement_id)
    change = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    check_transition(change, status, by)
    if status == ChangeRequestStatus.APPROVED:
        reason_closed = closed_reason(engagement)
        if reason_closed:
            raise ChangeRequestError(reason_closed)
        phases = list(Phase.objects.select_for_update().filter(engagement=engagement))
        starts_before = {phase.pk: phase.planned_start for phase in phases}
        moved = shift_plan(phases, change.impact_weeks)
        change.plan_end_before = _plan_end(phases, before=change.impact_weeks)
        change.plan_end_after = _plan_end(phases)
        if change.plan_end_after > LATEST:
            raise ChangeRequestError(
                f"{change.impact_weeks} more weeks would push the plan past 2100; the change "
                "request cannot be approved as it is."
            )
        for phase in moved:
            phase._history_user = by
            phase.save(update_fields=SHIFTED_FIELDS)
        move_milestones(engagement, starts_before, moved, by=by)  # they go with their phase
        if not moved:
            change.plan_end_before = change.plan_end_after = None
    change.status, change.decided_by, change.decided_at = status, by, timezone.now()
    change._history_user = by
    change.save(update_fields=DECISION_FIELDS)
    return change


def check_transition(change: ChangeRequest, status: str, by) -> None:
    """Raise `ChangeRequestError` unless `by` may move `change` to `status` now."""
    if change.status != ChangeRequestStatus.PROPOSED:
        # Most often a stale tab: say what happened, who did it and when.
        raise ChangeRequestError(
            f"“{change.title}” was already {change.get_status_display().lower()} on "
            f"{timezone.localtime(change.decided_at):%-d %b %Y at %H:%M} by "
            f"{person(change.decided_by)}. A decided change request cannot be changed; reload "
            "the page to see it."
        )
    if status == ChangeRequestStatus.WITHDRAWN and change.requested_by_id != by.pk:
        raise ChangeRequestError(
            f"Only the person who proposed “{change.title}” ({person(change.requested_by)}) "
            "may withdraw it."
        )


def shift_plan(phases: list[Phase], weeks: int) -> list[Phase]:
    """Move the plan by `weeks`, in memory, and return the phases that moved: the phase
    running now (before the start: the first) ends `weeks` later, and the phases after it
    that have not started move by as much, keeping their lengths. Finished phases keep
    their dates: the past does not move."""
    if not weeks:
        return []
    shift = timedelta(weeks=weeks)
    live = sorted(
        (p for p in phases if p.status in (PhaseStatus.ACTIVE, PhaseStatus.PLANNED)),
        key=lambda p: p.number,
    )
    if not live:
        return []
    current, *later = live
    current.planned_end += shift
    for phase in later:
        phase.planned_start += shift
        phase.planned_end += shift
    return live


def _plan_end(phases: list[Phase], before: int = 0) -> date:
    end = max(p.planned_end for p in phases if p.status != PhaseStatus.CANCELLED)
    return end - timedelta(weeks=before)
