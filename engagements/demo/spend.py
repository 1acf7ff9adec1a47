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

from ..change_requests import SHIFTED_FIELDS, shift_plan
from ..models import ChangeRequest, ChangeRequestStatus, Engagement, Invoice, Phase, PhaseStatus

INVOICE_EVERY_WEEKS = 4
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
    (
        # Scope creep: three approved, the warning fires.
        (0, ChangeRequestStatus.APPROVED),
        (1, ChangeRequestStatus.APPROVED),
        (3, ChangeRequestStatus.APPROVED),
        (2, ChangeRequestStatus.PROPOSED),
    ),
    ((3, ChangeRequestStatus.REJECTED), (5, ChangeRequestStatus.PROPOSED)),
]
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
            changes.append(change)
            stamps.append(proposed_at)
    Invoice.objects.bulk_create(invoices, batch_size=500)
    ChangeRequest.objects.bulk_create(changes, batch_size=500)
    # auto_now_add stamps today on insert: put back the days they were proposed.
    for change, stamp in zip(changes, stamps, strict=True):
        change.created_at = stamp
    ChangeRequest.objects.bulk_update(changes, ["created_at"], batch_size=500)
    Phase.objects.bulk_update(set(moved), SHIFTED_FIELDS, batch_size=500)


def _end(phases: list[Phase]) -> date:
    return max(p.planned_end for p in phases if p.status != PhaseStatus.CANCELLED)


def _invoices(engagement, phases, today, booker, i) -> list[Invoice]:
    """An invoice every four weeks of each phase that has run, at the plan's weekly budget
    give or take (some engagements burn faster than planned)."""
    plan_weeks = Decimal((_end(phases) - engagement.start_date).days) / 7 or Decimal(1)
    burn = engagement.budget / plan_weeks * (Decimal("0.85") + Decimal(i % 5) / 10)
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
