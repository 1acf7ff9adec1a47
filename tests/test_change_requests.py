"""Change requests (R26): proposed by insiders or assigned vendor contacts, decided once by an
owner or withdrawn by the requester; an approval moves the plan and the budget approved, and
the scope-creep warning fires. Stale tabs, races, bad input, vendor scope, query counts."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from engagements import change_requests as workflow
from engagements.models import ChangeRequest, ChangeRequestStatus, Outcome, Phase

from .conftest import decide, make_engagement, make_member
from .test_engagement_views import HOSTILE

WEEK = timedelta(weeks=1)


@pytest.fixture
def contact(org, engagement):
    """A vendor contact assigned to the engagement."""
    user = make_member(org, Role.VENDOR, "vera@northwind.test")
    user.first_name, user.last_name = "Vera", "Vendor"
    user.save()
    engagement.vendor_contacts.add(user.memberships.get())
    return user


def payload(**overrides):
    data = {
        "title": "Add a second language (Spanish)",
        "reason": "The LatAm team wants the same triage.",
        "impact_weeks": "3",
        "impact_money": "18,000",
    }
    return data | overrides


def propose_url(engagement):
    return reverse("engagements:change_request_propose", args=[engagement.pk])


def list_url(engagement):
    return reverse("engagements:change_requests", args=[engagement.pk])


def decide_url(change):
    return reverse("engagements:change_request_decide", args=[change.pk])


def withdraw_url(change):
    return reverse("engagements:change_request_withdraw", args=[change.pk])


def dates(engagement):
    return [(p.planned_start, p.planned_end) for p in engagement.phases.order_by("number")]


def proposed(engagement, by, weeks=2, money=10_000, title="Ingest the CRM"):
    return workflow.propose(
        engagement,
        requested_by=by,
        title=title,
        reason="Better predictions.",
        impact_weeks=weeks,
        impact_money=Decimal(money),
    )


# --- R26: the scenario ---------------------------------------------------------------------


def test_r26_an_approved_change_request_moves_the_plan_and_the_budget(
    client_for, owner, contact, engagement
):
    """R26: a vendor contact proposes, the owner approves; the running phase ends 3 weeks
    later, the later phases move by as much, the budget approved grows by the cost, and the
    engagement's agreed budget is not edited."""
    before = dates(engagement)
    vendor_client = client_for(contact)
    response = vendor_client.post(propose_url(engagement), payload())
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.requested_by == contact and change.status == ChangeRequestStatus.PROPOSED
    assert dates(engagement) == before  # proposing moves nothing

    owner_client = client_for(owner)
    response = owner_client.post(decide_url(change), {"decision": "approve"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.APPROVED and change.decided_by == owner
    after = dates(engagement)
    assert after[0] == (before[0][0], before[0][1] + 3 * WEEK)  # the running PoC ends later
    assert after[1:] == [(s + 3 * WEEK, e + 3 * WEEK) for s, e in before[1:]]
    assert (change.plan_end_before, change.plan_end_after) == (before[2][1], after[2][1])
    engagement.refresh_from_db()
    assert engagement.budget == Decimal(250_000)  # recorded, not edited in place

    page = owner_client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "Budget approved" in page and "$268,000" in page
    assert "1 approved, adding 3 weeks and $18,000" in page
    # Audited: the phases' move and the decision, with who made them.
    assert Phase.history.filter(history_type="~", history_user=owner).count() == 3
    assert change.history.filter(status="approved", history_user=owner).exists()


def test_r26_the_scope_creep_warning_fires_on_the_engagement_page(client_for, owner, engagement):
    """R26: the third approved change request raises the guide's scope-creep warning."""
    client = client_for(owner)
    url = reverse("engagements:detail", args=[engagement.pk])
    for i in range(3):
        change = proposed(engagement, owner, weeks=0, money=1_000, title=f"Extra {i}")
        assert "Scope creep" not in client.get(url).content.decode()
        workflow.approve(change, by=owner)
    page = client.get(url).content.decode()
    assert "Scope creep: 3 change requests approved" in page


def test_a_change_on_an_engagement_not_started_moves_the_whole_plan_from_the_poc(org, owner):
    engagement = make_engagement(org, owner, start_date=date.today() + timedelta(days=30))
    assert engagement.status == "planned"
    before = dates(engagement)
    workflow.approve(proposed(engagement, owner, weeks=2), by=owner)
    after = dates(engagement)
    assert after[0] == (before[0][0], before[0][1] + 2 * WEEK)
    assert after[2][1] == before[2][1] + 2 * WEEK


def test_after_gate_1_the_change_lands_on_development(owner, engagement):
    decide(engagement, 1, Outcome.GO, owner)
    before = dates(engagement)
    workflow.approve(proposed(engagement, owner, weeks=4), by=owner)
    after = dates(engagement)
    assert after[0] == before[0]  # the finished PoC keeps its dates
    assert after[1] == (before[1][0], before[1][1] + 4 * WEEK)
    assert after[2] == (before[2][0] + 4 * WEEK, before[2][1] + 4 * WEEK)


def test_a_rejected_or_withdrawn_change_moves_nothing(owner, engagement):
    before = dates(engagement)
    workflow.reject(proposed(engagement, owner), by=owner)
    workflow.withdraw(proposed(engagement, owner), by=owner)
    assert dates(engagement) == before
    assert set(ChangeRequest.objects.values_list("status", flat=True)) == {"rejected", "withdrawn"}


# --- vendor scope ---------------------------------------------------------------------------


def test_a_vendor_contact_sees_change_requests_without_money(
    client_for, owner, contact, engagement
):
    proposed(engagement, owner, money=33_333, title="Real-time scoring")
    client = client_for(contact)
    listing = client.get(list_url(engagement)).content.decode()
    assert "Real-time scoring" in listing and "33,333" not in listing
    detail = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "Real-time scoring" in detail
    assert "33,333" not in detail and "Budget approved" not in detail and "Forecast" not in detail
    assert reverse("engagements:invoices", args=[engagement.pk]) not in detail
    assert client.get(reverse("engagements:invoices", args=[engagement.pk])).status_code == 403


def test_a_vendor_contact_may_not_propose_on_an_engagement_not_assigned_to_them(
    client_for, org, owner, contact
):
    other = make_engagement(org, owner, title="Not theirs")
    response = client_for(contact).post(propose_url(other), payload())
    assert response.status_code == 404
    assert not ChangeRequest.objects.exists()


def test_a_vendor_contact_cannot_decide(client_for, owner, contact, engagement):
    change = proposed(engagement, contact)
    response = client_for(contact).post(decide_url(change), {"decision": "approve"})
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.status == "proposed"


# --- transitions: stale tabs, who may withdraw ---------------------------------------------


def test_approving_a_change_already_decided_says_what_changed_who_and_when(
    client_for, owner, contact, engagement
):
    change = proposed(engagement, contact)
    client_for(contact).post(withdraw_url(change))  # the vendor withdrew it meanwhile
    before = dates(engagement)
    response = client_for(owner).post(decide_url(change), {"decision": "approve"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "“Ingest the CRM” was already withdrawn on" in body and "by Vera Vendor" in body
    assert "reload" in body
    change.refresh_from_db()
    assert change.status == "withdrawn" and dates(engagement) == before


def test_only_the_requester_withdraws_and_only_while_proposed(
    client_for, owner, contact, engagement
):
    change = proposed(engagement, contact)
    response = client_for(owner).post(withdraw_url(change))
    assert response.status_code == 409
    assert (
        "Only the person who proposed “Ingest the CRM” (Vera Vendor)" in response.content.decode()
    )
    workflow.approve(change, by=owner)
    response = client_for(contact).post(withdraw_url(change))
    assert response.status_code == 409 and "already approved" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "approved"


def test_an_unknown_decision_is_refused(client_for, owner, engagement):
    change = proposed(engagement, owner)
    response = client_for(owner).post(decide_url(change), {"decision": "maybe"})
    assert response.status_code == 400 and "Choose Approve or Reject" in response.content.decode()


def test_a_stopped_engagement_takes_no_change_requests(client_for, owner, engagement):
    change = proposed(engagement, owner)
    decide(engagement, 1, Outcome.NO_GO, owner)
    response = client_for(owner).post(propose_url(engagement), payload())
    assert response.status_code == 422 and "stopped" in response.content.decode()
    with pytest.raises(workflow.ChangeRequestError, match="stopped"):
        workflow.approve(change, by=owner)
    assert ChangeRequest.objects.count() == 1


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("impact_money", "-500", "The cost cannot be negative"),
        ("impact_money", "lots", "Enter a number"),
        ("impact_weeks", "-1", "cannot be negative"),
        ("impact_weeks", "500", "at most 104 weeks"),
        ("impact_weeks", "2.5", "whole number"),
        ("title", "  ", "Say what should change"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    client_for, contact, engagement, field, value, message
):
    response = client_for(contact).post(propose_url(engagement), payload(**{field: value}))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_hostile_text_is_shown_escaped(client_for, owner, engagement):
    client_for(owner).post(propose_url(engagement), payload(title=HOSTILE, reason=HOSTILE))
    for url in (list_url(engagement), reverse("engagements:detail", args=[engagement.pk])):
        page = client_for(owner).get(url).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;" in page


# --- races -----------------------------------------------------------------------------------


def race(first, second) -> list[Exception]:
    """Run two actions from two threads released together; return what each raised."""
    barrier, errors = threading.Barrier(2), []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as exc:  # surfaced in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def post_as(user, url, data=None):
    def work():
        client = Client()
        client.force_login(user)
        response = client.post(url, data or {})
        assert response.status_code in (302, 409), response.status_code
        return response

    return work


@pytest.mark.django_db(transaction=True)
def test_an_approval_racing_a_withdrawal_in_both_orders_lets_exactly_one_win(org, owner):
    """Owner approves while the vendor contact withdraws, started together, both orders:
    exactly one transition is recorded, and the plan moved only if the approval won."""
    vendor_user = make_member(org, Role.VENDOR, "v@northwind.test")
    for attempt in range(6):
        engagement = make_engagement(org, owner, title=f"Race {attempt}")
        engagement.vendor_contacts.add(vendor_user.memberships.get())
        before = dates(engagement)
        change = proposed(engagement, vendor_user, weeks=2)
        approve = post_as(owner, decide_url(change), {"decision": "approve"})
        withdraw = post_as(vendor_user, withdraw_url(change))
        order = (approve, withdraw) if attempt % 2 == 0 else (withdraw, approve)
        assert race(*order) == []
        change.refresh_from_db()
        assert change.status in ("approved", "withdrawn")
        assert change.history.filter(history_type="~").count() == 1  # one transition only
        moved = before[0][1] + 2 * WEEK == dates(engagement)[0][1]
        assert moved == (change.status == "approved")
        if not moved:
            assert dates(engagement) == before


@pytest.mark.django_db(transaction=True)
def test_two_owners_approving_at_once_move_the_plan_once(org, owner):
    second_owner = make_member(org, Role.OWNER, "cto2@acme.test")
    for attempt in range(4):
        engagement = make_engagement(org, owner, title=f"Double {attempt}")
        before = dates(engagement)
        change = proposed(engagement, owner, weeks=3)
        errors = race(
            partial(workflow.approve, change, by=owner),
            partial(workflow.approve, change, by=second_owner),
        )
        assert len(errors) == 1 and isinstance(errors[0], workflow.ChangeRequestError)
        assert "already approved" in str(errors[0])
        assert dates(engagement)[2][1] == before[2][1] + 3 * WEEK  # once, not twice


# --- query counts ----------------------------------------------------------------------------


def test_the_list_and_the_engagement_page_run_the_same_queries_at_two_sizes(
    client_for, owner, contact, engagement, django_assert_num_queries
):
    client = client_for(owner)
    detail = reverse("engagements:detail", args=[engagement.pk])
    proposed(engagement, contact)
    # session, user, memberships, engagement, change requests (with requester and decider).
    with django_assert_num_queries(5):
        client.get(list_url(engagement))
    small = detail_queries(client, detail)
    for i in range(8):
        change = proposed(engagement, owner if i % 2 else contact, weeks=0, title=f"Change {i}")
        if i % 3 == 0:
            workflow.approve(change, by=owner)
    with django_assert_num_queries(5):
        client.get(list_url(engagement))
    assert detail_queries(client, detail) == small


def detail_queries(client, url) -> int:
    """How many queries the engagement page runs (the exact figure, DETAIL_QUERIES, is
    asserted in test_engagement_views; here: the same at two sizes of our rows)."""
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
