"""Reminders from beat: each kind reaches the right people, once per item and period, only
for active engagements and active people, in a constant number of reads per batch."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from engagements.enums import ConditionStatus, CriterionCheck, CriterionKind, Outcome, VoteRule
from engagements.models import GateCondition, GateCriterion, Reminder
from engagements.reminders import due_reminders, send_reminders
from engagements.tasks import send_reminders as send_reminders_task
from engagements.votes import set_gatekeepers

from .conftest import decide, make_engagement, make_member

# The `engagement` fixture starts on Monday 5 Jan 2026 (2026-W02); gate 1 is due on 2 Mar.
GATE_1_DUE = date(2026, 3, 2)


def run_twice(mailoutbox, today):
    """Run the reminders twice (beat may), and return what was mailed: (to, subject)."""
    first = send_reminders(today)
    second = send_reminders(today)
    assert second == 0, "a second run sends nothing"
    assert first == len(mailoutbox)
    return sorted((tuple(m.to), m.subject) for m in mailoutbox)


def test_a_missing_weekly_report_reminds_the_vendor_contacts(
    engagement, owner, assigned_vendor, mailoutbox
):
    sent = run_twice(mailoutbox, date(2026, 1, 21))  # Wednesday of W04: W03 is missing
    assert sent == [
        ((assigned_vendor.email,), "Weekly report missing: “Support ticket triage”, 2026-W03")
    ]
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.period, reminder.recipient) == (
        "missing_report",
        "2026-W03",
        assigned_vendor,
    )
    assert f"/engagements/{engagement.pk}/weekly-reports/new/" in mailoutbox[0].body
    # The next week, the next missing week: one more.
    assert send_reminders(date(2026, 1, 28)) == 1


def test_a_gate_due_within_a_week_reminds_the_owners_and_the_gatekeepers(
    engagement, org, owner, board, procurement, mailoutbox
):
    gate = engagement.gates.get(number=1)
    set_gatekeepers(gate, [board.memberships.get()], VoteRule.ALL, by=owner)
    gone = make_member(org, Role.OWNER, email="former-owner@acme.test")
    gone.is_active = False
    gone.save()
    mailoutbox.clear()  # the gatekeeper's invitation to vote

    assert send_reminders(GATE_1_DUE - timedelta(days=8)) == 0  # not yet
    sent = run_twice(mailoutbox, GATE_1_DUE - timedelta(days=4))
    subject = "Gate 1 of “Support ticket triage” is due on 2 Mar 2026"
    assert sent == [((board.email,), subject), ((owner.email,), subject)]
    # Overdue the next week: reminded again, saying so.
    mailoutbox.clear()
    assert send_reminders(GATE_1_DUE + timedelta(days=3)) == 2
    assert "overdue since 2 Mar 2026" in mailoutbox[0].subject


def test_a_condition_due_within_three_days_reminds_its_owner(
    engagement, owner, procurement, mailoutbox
):
    decision = decide(engagement, 1, Outcome.GO, owner)
    condition = GateCondition.objects.create(
        engagement=engagement,
        decision=decision,
        title="Re-run the evaluation on the client's hold-out set",
        owner=procurement,
        due_date=date(2026, 3, 12),
    )
    assert send_reminders(date(2026, 3, 8)) == 0  # four days ahead: not yet
    sent = run_twice(mailoutbox, date(2026, 3, 10))
    assert sent == [
        (
            (procurement.email,),
            "Condition due on 12 Mar 2026: “Re-run the evaluation on the client's hold-out set”",
        )
    ]
    assert f"/engagements/{engagement.pk}/conditions/" in mailoutbox[0].body
    # Done: no more reminders.
    condition.status, condition.done_on = ConditionStatus.DONE, date(2026, 3, 16)
    condition.save()
    assert send_reminders(date(2026, 3, 17)) == 0


def test_a_conditions_owner_who_lost_access_is_not_reminded(
    engagement, owner, procurement, board, mailoutbox
):
    decision = decide(engagement, 1, Outcome.GO, owner)
    for who in (procurement, board):
        GateCondition.objects.create(
            engagement=engagement,
            decision=decision,
            title=f"Task of {who.email}",
            owner=who,
            due_date=date(2026, 3, 12),
        )
    procurement.memberships.update(role=Role.VENDOR)  # demoted to vendor contact
    board.memberships.all().delete()  # removed from the organisation
    assert send_reminders(date(2026, 3, 10)) == 0
    procurement.memberships.update(role=Role.PROCUREMENT)
    assert send_reminders(date(2026, 3, 10)) == 1
    assert mailoutbox[0].to == [procurement.email]


def test_stale_evidence_on_the_next_gate_reminds_the_owners(engagement, owner, board, mailoutbox):
    today = date(2026, 2, 10)
    GateCriterion.objects.create(
        engagement=engagement,
        gate=engagement.gates.get(number=1),
        title="Baseline model built",
        kind=CriterionKind.SHOULD,
        met_by=CriterionCheck.EVIDENCE,
        evidence_note="Notebook and results in the shared repository.",
        evidence_on=today - timedelta(days=31),
    )
    sent = run_twice(mailoutbox, today)
    assert sent == [((owner.email,), "Stale evidence on gate 1 of “Support ticket triage”")]
    assert "Baseline model built" in mailoutbox[0].body


def test_engagements_not_active_and_inactive_people_get_no_reminders(
    engagement, owner, assigned_vendor, mailoutbox
):
    assigned_vendor.is_active = False
    assigned_vendor.save()
    assert send_reminders(date(2026, 1, 21)) == 0
    assigned_vendor.is_active = True
    assigned_vendor.save()
    decide(engagement, 1, Outcome.HOLD, owner, on=date(2026, 1, 20))  # on hold now
    assert send_reminders(date(2026, 1, 21)) == 0
    assert mailoutbox == []


def test_reminders_are_mailed_once_the_transaction_commits(
    engagement, assigned_vendor, mail_via_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_reminders(date(2026, 1, 21)) == 1
        assert mail_via_worker == []  # queued, not sent, inside the transaction
    assert len(callbacks) == 1
    assert [m.to for m in mail_via_worker] == [[assigned_vendor.email]]


def test_a_batch_reads_the_same_number_of_queries_for_two_engagements_or_six(org, owner, board):
    def reads(count):
        ids = []
        for i in range(count):
            engagement = make_engagement(org, owner, title=f"E{count}-{i}")
            gate = engagement.gates.get(number=1)
            set_gatekeepers(gate, [board.memberships.get()], VoteRule.ALL, by=owner)
            ids.append(engagement.pk)
        with CaptureQueriesContext(connection) as queries:
            due = due_reminders(ids, GATE_1_DUE)
        assert len(due) == 2 * count  # owner and gatekeeper, for each gate due
        return len(queries)

    assert reads(2) == reads(6)


def test_beat_runs_the_reminders_every_hour():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "engagements.tasks.send_reminders"
    )
    assert entry["schedule"] <= 3600


@pytest.mark.django_db
def test_the_task_sends_todays_reminders(engagement, assigned_vendor, mailoutbox):
    sent = send_reminders_task.delay().get()
    assert sent == len(mailoutbox) >= 1
