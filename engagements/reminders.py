"""Reminders from beat: a missing weekly report (to the engagement's vendor contacts), a gate
due within 7 days or overdue (to the owners and the gate's gatekeepers), a Conditional-Go
condition due within 3 days or overdue (to its owner), stale evidence on the next gate (to
the owners).

Idempotent: each reminder is a `Reminder` row (kind, subject, period, recipient) inserted in
the same transaction that queues its mail (`handover.mail` sends on commit), so beat may run
any number of times — or twice at once — and each person gets one reminder per item and
period; the unique constraint turns a repeat into an IntegrityError, which means "already
sent". The period is an ISO week: a reminder a week while the item stays due.

Active engagements are read in batches through `facts.load_facts`, a fixed number of queries
per batch whatever its size; only the inserts are per reminder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role

from .conditions import condition_owners
from .criteria import criteria_by_gate, gate_readiness
from .enums import EngagementStatus
from .facts import Facts, load_facts
from .models import Engagement, Gate, Reminder, ReminderKind, RiskSettings
from .models.weekly import week_label
from .votes import gatekeeper_candidates
from .weekly_overview import iso_week

BATCH_SIZE = 200
GATE_DUE_DAYS = 7
CONDITION_DUE_DAYS = 3


@dataclass(frozen=True)
class Due:
    """One reminder to send, before it is recorded."""

    kind: str
    subject: str  # what it is about: "gate:42", "condition:7", "engagement:3"
    period: str  # an ISO week, "2026-W10"
    recipient: object  # a User
    organisation_id: int
    title: str  # the mail's subject line
    lines: tuple[str, ...]  # the mail's body, one paragraph a line
    link: str

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.kind, self.subject, self.period, self.recipient.pk)


def send_reminders(today: date | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Send what is due today across every organisation; returns how many were sent."""
    today = today or timezone.localdate()
    ids = Engagement.objects.filter(status=EngagementStatus.ACTIVE).order_by("pk")
    sent = 0
    for chunk in _batched(list(ids.values_list("pk", flat=True)), batch_size):
        sent += deliver(due_reminders(chunk, today))
    return sent


def _batched(ids: list[int], size: int):
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def due_reminders(engagement_ids: Sequence[int], today: date) -> list[Due]:
    """Every reminder due today for these engagements (active ones only), in a fixed number
    of queries. Pure of writes: `deliver` records and sends."""
    keepers = Membership.objects.select_related("user").order_by("pk")
    engagements = list(
        Engagement.objects.filter(
            pk__in=engagement_ids, status=EngagementStatus.ACTIVE
        ).prefetch_related(
            "phases",
            Prefetch(
                "gates",
                Gate.objects.prefetch_related(
                    Prefetch("gatekeepers", gatekeeper_candidates(Membership.objects.all()))
                ),
            ),
            Prefetch("vendor_contacts", keepers),
        )
    )
    if not engagements:
        return []
    facts = load_facts(engagements, today, with_money=True)
    organisation_ids = {e.organisation_id for e in engagements}
    # The insiders of each organisation (who may own a condition), read in the batch: a
    # condition's owner who left or became a vendor contact is not reminded.
    owners: dict[int, list] = {pk: [] for pk in organisation_ids}
    insiders: dict[int, set[int]] = {pk: set() for pk in organisation_ids}
    members = keepers.filter(organisation_id__in=organisation_ids, user__is_active=True)
    for membership in condition_owners(members):
        insiders[membership.organisation_id].add(membership.user_id)
        if membership.role == Role.OWNER:
            owners[membership.organisation_id].append(membership.user)
    thresholds = {
        s.organisation_id: s
        for s in RiskSettings.objects.filter(organisation_id__in=organisation_ids)
    }
    next_gates = [e.next_gate for e in engagements if e.next_gate]
    criteria = criteria_by_gate(next_gates)
    week = week_label(*iso_week(today))
    due: list[Due] = []
    for engagement in engagements:
        item = facts[engagement.pk]
        org_owners = owners[engagement.organisation_id]
        due += _missing_report(engagement, item, today)
        due += _conditions(engagement, item, today, week, insiders[engagement.organisation_id])
        gate = engagement.next_gate
        if gate is None:
            continue
        due += _gate_due(engagement, gate, org_owners, today, week)
        settings_ = thresholds.get(engagement.organisation_id) or RiskSettings.defaults()
        readiness = gate_readiness(
            gate, criteria.get(gate.pk, []), item, settings_, today, recycled=False
        )
        stale = [r for r in readiness.results if r.state == "stale"]
        if stale:
            due += _stale(engagement, gate, stale, org_owners, week)
    return due


def deliver(reminders: Iterable[Due]) -> int:
    """Record and send each reminder not yet sent: the row and the queued mail commit
    together, or neither does. One read for the batch skips what earlier runs sent; the
    unique constraint catches a run going on at the same moment."""
    reminders = list(reminders)
    if not reminders:
        return 0
    sent_before = set(
        Reminder.objects.filter(
            subject__in={r.subject for r in reminders}, period__in={r.period for r in reminders}
        ).values_list("kind", "subject", "period", "recipient_id")
    )
    sent = 0
    for reminder in reminders:
        if reminder.key in sent_before:
            continue
        sent_before.add(reminder.key)
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    organisation_id=reminder.organisation_id,
                    kind=reminder.kind,
                    subject=reminder.subject,
                    period=reminder.period,
                    recipient=reminder.recipient,
                )
                _mail(reminder)
        except IntegrityError:
            continue  # already sent, by a run going on at the same time
        sent += 1
    return sent


def _mail(reminder: Due) -> None:
    body = render_to_string(
        "engagements/email/reminder.txt", {"lines": reminder.lines, "link": reminder.link}
    )
    send_mail(reminder.title, body, None, [reminder.recipient.email])


def _when(due_date: date, today: date) -> str:
    if due_date < today:
        return f"overdue since {due_date:%-d %b %Y}"
    return f"due on {due_date:%-d %b %Y}"


def _url(name: str, *args, anchor: str = "") -> str:
    path = reverse(f"engagements:{name}", args=args)
    return settings.SITE_URL.rstrip("/") + path + (f"#{anchor}" if anchor else "")


def _active(users: Iterable) -> list:
    """Each active user with an address, once."""
    seen, found = set(), []
    for user in users:
        if user is not None and user.is_active and user.email and user.pk not in seen:
            seen.add(user.pk)
            found.append(user)
    return found


def _missing_report(engagement: Engagement, item: Facts, today: date) -> list[Due]:
    last_week = iso_week(today - timedelta(weeks=1))
    if last_week not in item.missing_weeks:
        return []
    label = week_label(*last_week)
    contacts = [m.user for m in engagement.vendor_contacts.all() if m.role == Role.VENDOR]
    return [
        Due(
            kind=ReminderKind.MISSING_REPORT,
            subject=f"engagement:{engagement.pk}",
            period=label,
            recipient=user,
            organisation_id=engagement.organisation_id,
            title=f"Weekly report missing: “{engagement.title}”, {label}",
            lines=(
                f"No weekly status report was submitted for “{engagement.title}” for {label}.",
                "Send it with the hours, the data-quality score, the model metrics and the "
                "experiments of the week: a report with hours alone is flagged.",
            ),
            link=_url("weekly_report_new", engagement.pk),
        )
        for user in _active(contacts)
    ]


def _gate_due(engagement, gate, owners, today: date, week: str) -> list[Due]:
    due_date = gate.due_date
    if due_date is None or due_date > today + timedelta(days=GATE_DUE_DAYS):
        return []
    keepers = [m.user for m in gate.gatekeepers.all()]  # `gatekeeper_candidates` only
    when = _when(due_date, today)
    return [
        Due(
            kind=ReminderKind.GATE_DUE,
            subject=f"gate:{gate.pk}",
            period=week,
            recipient=user,
            organisation_id=engagement.organisation_id,
            title=f"Gate {gate.number} of “{engagement.title}” is {when}",
            lines=(
                f"Gate {gate.number} of “{engagement.title}” is {when}.",
                f"The question: {gate.question}",
                "Gatekeepers vote on the gate's page; the owner records the decision there.",
            ),
            link=_url("detail", engagement.pk, anchor=f"gate-{gate.number}"),
        )
        for user in _active([*owners, *keepers])
    ]


def _conditions(engagement, item: Facts, today: date, week: str, insiders: set[int]) -> list[Due]:
    """To each open condition's owner, while they still may own it (`insiders`: the user ids
    `conditions.condition_owners` allows in the engagement's organisation)."""
    horizon = today + timedelta(days=CONDITION_DUE_DAYS)
    found = []
    for condition in item.open_conditions:
        if condition.due_date > horizon or condition.owner_id not in insiders:
            continue
        if not _active([condition.owner]):
            continue
        when = _when(condition.due_date, today)
        found.append(
            Due(
                kind=ReminderKind.CONDITION_DUE,
                subject=f"condition:{condition.pk}",
                period=week,
                recipient=condition.owner,
                organisation_id=engagement.organisation_id,
                title=f"Condition {when}: “{condition.title}”",
                lines=(
                    f"The Conditional-Go condition “{condition.title}” of “{engagement.title}” "
                    f"is yours and is {when}.",
                    "The next gate cannot be decided while it is open: mark it done, with how "
                    "it was met, once it is.",
                ),
                link=_url("conditions", engagement.pk),
            )
        )
    return found


def _stale(engagement, gate, stale, owners, week: str) -> list[Due]:
    titles = "; ".join(f"{r.criterion.title} ({r.reason})" for r in stale)
    return [
        Due(
            kind=ReminderKind.STALE_EVIDENCE,
            subject=f"gate:{gate.pk}",
            period=week,
            recipient=user,
            organisation_id=engagement.organisation_id,
            title=f"Stale evidence on gate {gate.number} of “{engagement.title}”",
            lines=(
                f"Evidence for gate {gate.number} of “{engagement.title}” is too old to count "
                f"and is treated as unmet until refreshed: {titles}.",
            ),
            link=_url("detail", engagement.pk, anchor=f"gate-{gate.number}"),
        )
        for user in _active(owners)
    ]
