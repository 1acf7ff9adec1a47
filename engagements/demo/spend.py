"""Demo invoices and change requests (engineer C, issue 7): monthly invoices per phase that
has started, and change requests in every status — the guide's "just one more model" — some
approved, so the plan has moved and, on a few engagements, the scope-creep warning fires.

Written with bulk inserts; approvals are applied in memory with the same rule as
`change_requests.approve` (`shift_plan`), so the demo plan matches what the app would do."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.roles import Role
from handover.bulk import insert_rows, update_fields

from ..change_requests import SHIFTED_FIELDS, shift_plan
from ..models import (
    ChangeRequest,
    ChangeRequestStatus,
    Engagement,
    Invoice,
    Milestone,
    Phase,
    PhaseStatus,
    PlanBaseline,
)

INVOICE_EVERY_WEEKS = 4
# Spend per week against the plan's: most engagements a little under, one in seven faster
# than planned (its forecast passes the budget approved: the radar's budget overrun).
BURN = [Decimal(f) for f in ("0.82", "0.88", "0.93", "0.97", "1.18", "0.9", "0.85")]
# (title, reason, weeks, money): the requests stakeholders make once they see early results.
CHANGES = [
    (
        "Add a second language (Spanish) to the assistant",
        "Early results impressed the LatAm team; they want the same triage for Spanish "
        "tickets. Needs labelled Spanish data and a second evaluation set.",
        3,
        Decimal(18_000),
    ),
    (
        "Ingest the CRM as a new data source",
        "Account history should improve the predictions; the CRM export has to be cleaned, "
        "joined and validated first.",
        2,
        Decimal(12_500),
    ),
    (
        "Just one more model: a churn score on the same pipeline",
        "Sales saw the demo and asked for a churn score too. A second model, its features and "
        "its monitoring.",
        6,
        Decimal(42_000),
    ),
    (
        "Real-time scoring instead of the nightly batch",
        "Operations want decisions within seconds; needs a serving endpoint and load tests.",
        4,
        Decimal(26_000),
    ),
    (
        "An extra dashboard for the support leads",
        "Weekly volumes and model confidence per queue, for the team leads' stand-up.",
        1,
        Decimal(4_000),
    ),
    (
        "Retrain on the 2024 ticket archive",
        "The archive was released by legal; retraining needs no new work beyond compute.",
        0,
        Decimal(3_000),
    ),
]
# Per engagement, by index: which of CHANGES, and the status each ends in.
PATTERNS = [
    ((0, ChangeRequestStatus.APPROVED), (4, ChangeRequestStatus.PROPOSED)),
    (
        (1, ChangeRequestStatus.APPROVED),
        (2, ChangeRequestStatus.REJECTED),
        (5, ChangeRequestStatus.WITHDRAWN),
    ),
    ((3, ChangeRequestStatus.REJECTED), (5, ChangeRequestStatus.PROPOSED)),
    (
        # Scope creep: three approved, the warning fires.
        (0, ChangeRequestStatus.APPROVED),
        (1, ChangeRequestStatus.APPROVED),
        (3, ChangeRequestStatus.APPROVED),
        (2, ChangeRequestStatus.PROPOSED),
    ),
    ((4, ChangeRequestStatus.APPROVED),),
    ((1, ChangeRequestStatus.WITHDRAWN), (5, ChangeRequestStatus.APPROVED)),
]
# How long an undecided request has waited, by engagement (one in nine past 14 days).
WAITING_DAYS = (3, 9, 5, 11, 6, 8, 20, 4, 10)
VENDOR_PROPOSES = {0, 3, 4}  # these come from the vendor, when a contact is assigned


def seed_spend_and_changes(engagements: list[Engagement], members: dict, today: date) -> None:
    """Invoices and change requests for `engagements` (members: Role → Membership); those
    that already have either are skipped, so running it twice adds nothing."""
    ids = [e.pk for e in engagements]
    done = set(Invoice.objects.filter(engagement_id__in=ids).values_list("engagement_id", flat=1))
    done |= set(
        ChangeRequest.objects.filter(engagement_id__in=ids).values_list("engagement_id", flat=1)
    )
    unseeded = [e for e in engagements if e.pk not in done and e.start_date <= today]
    if not unseeded:
        return
    phases_by = {}
    for phase in Phase.objects.filter(engagement__in=unseeded).order_by("number"):
        phases_by.setdefault(phase.engagement_id, []).append(phase)
    vendor = members.get(Role.VENDOR)
    assigned = set()
    if vendor is not None:
        assigned = set(
            Engagement.vendor_contacts.through.objects.filter(
                engagement__in=unseeded, membership=vendor
            ).values_list("engagement_id", flat=True)
        )
    owner = members[Role.OWNER].user
    booker = members.get(Role.PROCUREMENT, members[Role.OWNER]).user
    invoices, changes, stamps, moved = [], [], [], []
    milestones_by, baselines_by = {}, {}
    for milestone in Milestone.objects.filter(engagement__in=unseeded):
        milestones_by.setdefault(milestone.phase_id, []).append(milestone)
    for baseline in PlanBaseline.objects.filter(engagement__in=unseeded):
        baselines_by.setdefault(baseline.engagement_id, []).append(baseline)
    moved_milestones, moved_baselines = [], set()
    for i, engagement in enumerate(unseeded):
        phases = phases_by.get(engagement.pk, [])
        if not phases:
            continue
        invoices += _invoices(engagement, phases, today, booker, i)
        proposer = vendor.user if vendor and engagement.pk in assigned else booker
        for j, (index, status) in enumerate(PATTERNS[i % len(PATTERNS)]):
            title, reason, weeks, money = CHANGES[index]
            proposed_on = engagement.start_date + timedelta(weeks=2 + 2 * j)
            if proposed_on > today:
                break
            if status == ChangeRequestStatus.PROPOSED:
                # Owners decide within days: a request still open was made lately — on one
                # engagement in nine it has waited past the organisation's 14 days (a risk).
                waited = timedelta(days=WAITING_DAYS[i % len(WAITING_DAYS)])
                proposed_on = max(proposed_on, today - waited)
            proposed_at = timezone.make_aware(datetime.combine(proposed_on, time(9)))
            change = ChangeRequest(
                engagement=engagement,
                title=title,
                reason=reason,
                requested_by=proposer if index in VENDOR_PROPOSES else booker,
                impact_weeks=weeks,
                impact_money=money,
                status=status,
            )
            if status != ChangeRequestStatus.PROPOSED:
                decided = min(proposed_on + timedelta(days=5), today)
                change.decided_at = timezone.make_aware(datetime.combine(decided, time(11)))
                change.decided_by = (
                    change.requested_by if status == ChangeRequestStatus.WITHDRAWN else owner
                )
            if status == ChangeRequestStatus.APPROVED and engagement.status in (
                "active",
                "on_hold",
            ):
                before = _end(phases)
                shifted = shift_plan(phases, weeks)
                if shifted:
                    change.plan_end_before, change.plan_end_after = before, _end(phases)
                    moved += shifted
                    # As the app does: later phases take their milestones with them, and a
                    # plan approved at a Go after this decision already had the change in it.
                    decided_on = change.decided_at.date()
                    for phase in shifted[1:]:
                        for milestone in milestones_by.get(phase.pk, ()):
                            milestone.due_date += timedelta(weeks=weeks)
                            moved_milestones.append(milestone)
                    numbers = {phase.number for phase in shifted}
                    for baseline in baselines_by.get(engagement.pk, ()):
                        if baseline.approved_on >= decided_on:
                            _shift_baseline(baseline, numbers, weeks)
                            moved_baselines.add(baseline)
            changes.append(change)
            stamps.append(proposed_at)
    insert_rows(invoices)  # handover.bulk: leaves, no ids needed back
    ChangeRequest.objects.bulk_create(changes, batch_size=500)
    # auto_now_add stamps today on insert: put back the days they were proposed.
    for change, stamp in zip(changes, stamps, strict=True):
        change.created_at = stamp
    # One UPDATE per row in one executemany: bulk_update's CASE expressions took seconds here.
    update_fields(changes, ["created_at"])
    update_fields(set(moved), SHIFTED_FIELDS)
    update_fields(set(moved_milestones), ["due_date"])
    update_fields(moved_baselines, ["phases"])


def _shift_baseline(baseline: PlanBaseline, numbers: set[int], weeks: int) -> None:
    """Move the baseline's phases that had not ended by `weeks` (those `shift_plan` moved):
    the plan it approved included the change."""
    shift = timedelta(weeks=weeks)
    first = min(numbers)
    for row in baseline.phases:
        if row["number"] not in numbers or row.get("actual_end"):
            continue
        if row["number"] != first:
            row["planned_start"] = (date.fromisoformat(row["planned_start"]) + shift).isoformat()
        row["planned_end"] = (date.fromisoformat(row["planned_end"]) + shift).isoformat()


def _end(phases: list[Phase]) -> date:
    return max(p.planned_end for p in phases if p.status != PhaseStatus.CANCELLED)


def _invoices(engagement, phases, today, booker, i) -> list[Invoice]:
    """An invoice every four weeks of each phase that has run, at the plan's weekly budget
    give or take (`BURN`)."""
    plan_weeks = Decimal((_end(phases) - engagement.start_date).days) / 7 or Decimal(1)
    burn = engagement.budget / plan_weeks * BURN[i % len(BURN)]
    prefix = "".join(w[0] for w in (engagement.vendor_name or "Vendor").split()).upper()
    rows, number = [], 0
    for phase in phases:
        if phase.status in (PhaseStatus.PLANNED, PhaseStatus.CANCELLED) or not phase.actual_start:
            continue
        end = min(phase.actual_end or today, today)
        day = phase.actual_start + timedelta(weeks=INVOICE_EVERY_WEEKS)
        while day <= end:
            number += 1
            rows.append(
                Invoice(
                    engagement=engagement,
                    phase=phase,
                    amount=(burn * INVOICE_EVERY_WEEKS).quantize(Decimal("1")),
                    date=day,
                    reference=f"{prefix}-{day:%Y}-{engagement.pk:04d}-{number:03d}",
                    recorded_by=booker,
                )
            )
            day += timedelta(weeks=INVOICE_EVERY_WEEKS)
    return rows
