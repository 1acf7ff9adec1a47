"""Conditional Go: the next phase opens, each condition becomes a task with an owner and a
due date, and the next gate stays closed until every condition is done. Who may mark one
done, stale posts, bad input, and the race between marking done and deciding (threads)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from engagements.conditions import ConditionError, mark_done
from engagements.gates import ConditionInput, GateError, open_condition_reason
from engagements.models import GateCondition, GateDecision, Outcome, PlanBaseline

from .conftest import decide, make_engagement, make_member
from .test_engagement_views import decision_payload

TODAY = timezone.localdate()


def conditional_go(engagement, owner, condition_owner=None, due=date(2026, 4, 3), **extra):
    owner.first_name, owner.last_name = "Ana", "Ruiz"
    owner.save()
    condition = ConditionInput("Refresh the hold-out set", condition_owner or owner, due)
    return decide(engagement, 1, Outcome.CONDITIONAL_GO, owner, conditions=[condition], **extra)


def decide_url(engagement, number):
    return reverse("engagements:decide", args=[engagement.pk, number])


def done_url(condition):
    return reverse("engagements:condition_done", args=[condition.pk])


@pytest.mark.django_db
def test_conditional_go_without_conditions_is_refused(engagement, owner):
    with pytest.raises(GateError, match="needs at least one condition"):
        decide(engagement, 1, Outcome.CONDITIONAL_GO, owner)
    assert not GateDecision.objects.exists()


@pytest.mark.django_db
def test_conditional_go_opens_the_next_phase_and_makes_each_condition_a_task(engagement, owner):
    decision = conditional_go(engagement, owner)
    assert engagement.phases.get(number=2).status == "active"
    condition = GateCondition.objects.get()
    assert (condition.decision, condition.owner, condition.status) == (decision, owner, "open")
    assert PlanBaseline.objects.filter(decision=decision).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("due", "message"),
    [(date(2026, 3, 2), "after the decision date"), (date(2101, 1, 1), "no later than")],
)
def test_a_condition_due_too_early_or_too_late_is_refused(engagement, owner, due, message):
    with pytest.raises(GateError, match=message):
        conditional_go(engagement, owner, due=due)
    assert not GateDecision.objects.exists() and not GateCondition.objects.exists()


@pytest.mark.django_db
def test_a_condition_owned_by_an_outsider_or_a_vendor_contact_is_refused(
    client_for, engagement, owner, outsider, vendor
):
    with pytest.raises(GateError, match="someone outside the organisation"):
        conditional_go(engagement, owner, condition_owner=outsider)
    # The client confirms a condition met: even an assigned vendor contact owns none.
    engagement.vendor_contacts.add(vendor.memberships.get())
    with pytest.raises(GateError, match="never by a vendor contact"):
        conditional_go(engagement, owner, condition_owner=vendor)
    assert not GateDecision.objects.exists() and not GateCondition.objects.exists()
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    choices = page.content.decode().split('name="conditions-0-owner"')[1].split("</select>")[0]
    assert f'value="{owner.pk}"' in choices and f'value="{vendor.pk}"' not in choices


@pytest.mark.django_db
def test_an_open_condition_blocks_the_next_gate_and_marking_it_done_opens_it(
    client_for, engagement, owner
):
    conditional_go(engagement, owner)
    with pytest.raises(GateError) as refused:
        decide(engagement, 2, Outcome.GO, owner, on=date(2026, 3, 9))
    assert str(refused.value) == (
        "Gate 1's condition “Refresh the hold-out set” (Ana Ruiz, due 3 Apr) is still open: "
        "mark it done first."
    )
    client = client_for(owner)
    page = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    card = page.split('id="gate-2"')[1].split('id="gate-3"')[0]
    assert "is still open: mark it done first" in card and "Record the decision" not in card
    # A post from a tab opened before the Conditional Go answers for gate 2 and says why.
    response = client.post(decide_url(engagement, 2), decision_payload(decided_on="2026-03-09"))
    assert response.status_code == 409 and "is still open" in response.content.decode()
    condition = GateCondition.objects.get()
    response = client.post(done_url(condition), {f"c{condition.pk}-note": "Re-sampled in March."})
    assert response.status_code == 302
    condition.refresh_from_db()
    assert (condition.status, condition.done_by, condition.note) == (
        "done",
        owner,
        "Re-sampled in March.",
    )
    decide(engagement, 2, Outcome.GO, owner, on=TODAY)
    assert engagement.phases.get(number=3).status == "active"


@pytest.mark.django_db
def test_only_owners_admins_and_the_conditions_owner_mark_it_done(
    client_for, org, engagement, owner, procurement, admin, assigned_vendor
):
    colleague = make_member(org, Role.PROCUREMENT, email="colleague@acme.test")
    conditional_go(engagement, owner, condition_owner=colleague)
    condition = GateCondition.objects.get()
    data = {f"c{condition.pk}-note": "Done."}
    refused = client_for(procurement).post(done_url(condition), data)
    assert refused.status_code == 403
    assert "Only colleague@acme.test (the condition" in refused.content.decode()
    assert client_for(assigned_vendor).post(done_url(condition), data).status_code == 403
    assert client_for(colleague).post(done_url(condition), data).status_code == 302
    condition.refresh_from_db()
    assert condition.done_by == colleague


@pytest.mark.django_db
def test_marking_done_twice_says_by_whom(client_for, engagement, owner, admin):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    client_for(admin).post(done_url(condition), {f"c{condition.pk}-note": "Done."})
    again = client_for(owner).post(done_url(condition), {f"c{condition.pk}-note": "Also done."})
    assert again.status_code == 409
    assert "was already marked done by admin@acme.test" in again.content.decode()
    condition.refresh_from_db()
    assert condition.note == "Done."
    with pytest.raises(ConditionError):
        mark_done(condition, by=owner, note="x", today=TODAY)


@pytest.mark.django_db
def test_marking_done_needs_a_note(client_for, engagement, owner):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    response = client_for(owner).post(done_url(condition), {f"c{condition.pk}-note": " "})
    assert response.status_code == 422 and "Say how the condition was met" in (
        response.content.decode()
    )
    assert GateCondition.objects.get().is_open


@pytest.mark.django_db
def test_the_conditions_page_marks_overdue_and_vendor_contacts_see_theirs(
    client_for, engagement, owner, assigned_vendor, org
):
    conditional_go(engagement, owner, due=date(2026, 3, 5))  # overdue by now
    other = make_engagement(org, owner, title="Not the vendor's")
    url = reverse("engagements:conditions", args=[engagement.pk])
    page = client_for(assigned_vendor).get(url).content.decode()
    assert "Refresh the hold-out set" in page and "Overdue" in page
    assert "Mark done" not in page  # vendor contacts read; the client marks
    elsewhere = reverse("engagements:conditions", args=[other.pk])
    assert client_for(assigned_vendor).get(elsewhere).status_code == 404
    assert "Mark done" in client_for(owner).get(url).content.decode()


@pytest.mark.django_db
def test_the_form_takes_conditions_and_adds_rows_without_javascript(client_for, engagement, owner):
    client = client_for(owner)
    payload = decision_payload(outcome="conditional_go") | {
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-title": "Assess data readiness",
        "conditions-0-owner": str(owner.pk),
        "conditions-0-due_date": "2026-04-01",
    }
    more = client.post(decide_url(engagement, 1), payload | {"add_condition": "1"})
    assert more.status_code == 200
    body = more.content.decode()
    assert 'name="conditions-TOTAL_FORMS" value="2"' in body and "Condition 2" in body
    assert 'value="Assess data readiness"' in body and not GateDecision.objects.exists()
    bad = client.post(decide_url(engagement, 1), payload | {"conditions-0-due_date": "2026-03-01"})
    assert bad.status_code == 422 and "after the decision date" in bad.content.decode()
    assert client.post(decide_url(engagement, 1), payload).status_code == 302
    assert GateCondition.objects.get().title == "Assess data readiness"


@pytest.mark.django_db
def test_conditional_go_without_a_condition_row_says_so_on_the_form(client_for, engagement, owner):
    payload = decision_payload(outcome="conditional_go") | {
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
    }
    response = client_for(owner).post(decide_url(engagement, 1), payload)
    assert response.status_code == 422
    assert "needs at least one condition" in response.content.decode()


def test_the_closed_reason_names_the_condition_due_first():
    class Gate:
        number = 1

    class Decision:
        gate = Gate()

    class Condition:
        is_open, decision, owner = True, Decision(), None

        def __init__(self, pk, title, due):
            self.pk, self.title, self.due_date = pk, title, due

    conditions = [Condition(2, "Later", date(2026, 5, 1)), Condition(1, "First", date(2026, 4, 1))]
    reason = open_condition_reason(2, conditions)
    assert reason.startswith("Gate 1's condition “First” (no owner, due 1 Apr)")
    assert "(1 more condition open too)" in reason
    assert open_condition_reason(1, conditions) is None


# --- the race: marking a condition done and deciding the next gate ----------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("done_first", [True, False])
def test_marking_done_and_deciding_the_next_gate_at_once_stay_consistent(org, done_first):
    """Both orders, threads released together (PostgreSQL in CI: row locks). Whichever wins,
    a decision at gate 2 exists only if the condition was done, and the condition ends done."""
    owner = make_member(org, Role.OWNER, email=f"race-{done_first}@acme.test")
    for attempt in range(4):
        engagement = make_engagement(org, owner, title=f"Race {attempt}")
        decide(
            engagement,
            1,
            Outcome.CONDITIONAL_GO,
            owner,
            on=TODAY - timedelta(days=2),
            conditions=[ConditionInput("Sign the DPA", owner, TODAY + timedelta(days=5))],
        )
        condition = GateCondition.objects.get(engagement=engagement)
        results = race(engagement, condition, owner, done_first)
        assert "error" not in results, results
        assert GateCondition.objects.get(pk=condition.pk).status == "done"
        decided = GateDecision.objects.filter(gate__engagement=engagement, gate__number=2)
        if results.get("decided"):
            assert decided.count() == 1
        else:
            assert "is still open" in results["refused"] and not decided.exists()


def race(engagement, condition, owner, done_first: bool) -> dict:
    """Mark `condition` done and decide gate 2 from two threads released together."""
    barrier, results = threading.Barrier(2), {}

    def done():
        barrier.wait()
        mark_done(condition, by=owner, note="Signed.", today=TODAY)
        results["done"] = True

    def decision():
        barrier.wait()
        try:
            decide(engagement, 2, Outcome.NO_GO, owner, on=TODAY)
            results["decided"] = True
        except GateError as exc:
            results["refused"] = str(exc)

    def run(work):
        try:
            work()
        except Exception as exc:  # surfaced in the test's thread
            results["error"] = exc
        finally:
            connections.close_all()

    order = [done, decision] if done_first else [decision, done]
    threads = [threading.Thread(target=run, args=(work,)) for work in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
