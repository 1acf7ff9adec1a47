"""The decision log: who writes, who corrects, search, paging, bad input, vendor reach."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from engagements.models import DecisionLogEntry

from .conftest import make_engagement, make_member
from .test_engagement_views import HOSTILE


def _url(engagement):
    return reverse("engagements:decision_log", args=[engagement.pk])


def _payload(**overrides):
    data = {
        "decided_on": "2026-02-03",
        "category": "feature_engineering",
        "context": "Ticket text mixes English and Spanish.",
        "decision": "Translate to English before embedding.",
        "consequences": "Adds 40 ms of latency per ticket.",
    }
    return data | overrides


def _entry(engagement, author, decision="Use the CRM export.", **kw):
    fields = {
        "decided_on": date(2026, 2, 1),
        "category": "data",
        "context": "Two ticket exports disagree.",
    } | kw
    return DecisionLogEntry.objects.create(
        engagement=engagement, author=author, decision=decision, **fields
    )


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.PROCUREMENT])
def test_insiders_log_decisions(client_for, org, engagement, role):
    author = make_member(org, role, f"{role}-author@acme.test")
    response = client_for(author).post(_url(engagement), _payload())
    assert response.status_code == 302
    entry = DecisionLogEntry.objects.get()
    assert entry.author == author and entry.engagement == engagement
    assert entry.history.count() == 1


def test_a_board_member_reads_but_does_not_write(client_for, board, owner, engagement):
    _entry(engagement, owner)
    client = client_for(board)
    page = client.get(_url(engagement)).content.decode()
    assert "Use the CRM export." in page and "Log a decision" not in page
    assert client.post(_url(engagement), _payload()).status_code == 403


def test_an_assigned_vendor_contact_logs_a_decision_and_sees_the_log(
    client_for, owner, assigned_vendor, engagement
):
    _entry(engagement, owner)
    client = client_for(assigned_vendor)
    assert client.post(_url(engagement), _payload()).status_code == 302
    page = client.get(_url(engagement)).content.decode()
    assert "Use the CRM export." in page and "Translate to English" in page


def test_a_vendor_contact_reaches_only_assigned_engagements(
    client_for, org, owner, assigned_vendor
):
    other = make_engagement(org, owner, title="Not theirs")
    _entry(other, owner, decision="Secret decision")
    client = client_for(assigned_vendor)
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), _payload()).status_code == 404
    assert DecisionLogEntry.objects.count() == 1


def test_only_the_author_corrects_an_entry_and_the_history_keeps_the_original(
    client_for, org, owner, assigned_vendor, engagement
):
    entry = _entry(engagement, assigned_vendor)
    edit = reverse("engagements:decision_log_edit", args=[engagement.pk, entry.pk])
    response = client_for(owner).post(edit, _payload(decision="Rewritten by someone else"))
    assert response.status_code == 403
    assert "Only its author can edit an entry" in response.content.decode()
    response = client_for(assigned_vendor).post(edit, _payload(decision="Use the CRM export v2."))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.decision == "Use the CRM export v2."
    assert [h.decision for h in entry.history.order_by("history_id")] == [
        "Use the CRM export.",
        "Use the CRM export v2.",
    ]


def test_nobody_deletes_entries():
    # There is no delete route: a wrong entry is corrected by a new one.
    from engagements.urls import urlpatterns

    assert not [p for p in urlpatterns if "decision-log" in str(p.pattern) and "delete" in str(p)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"decided_on": "2025-12-01"}, "it started on 5 Jan 2026"),
        ({"decided_on": (date.today() + timedelta(days=3)).isoformat()}, "in the future"),
        ({"decided_on": "2026-02-31"}, "Enter a valid date."),
        ({"context": "x" * 20_000}, "at most 10000 characters"),
        ({"decision": "x" * 20_000}, "at most 5000 characters"),
        ({"decision": "  "}, "Say what was decided."),
        ({"category": "vibes"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    client_for, owner, engagement, overrides, message
):
    response = client_for(owner).post(_url(engagement), _payload(**overrides))
    assert response.status_code == 422 and message in response.content.decode()
    assert not DecisionLogEntry.objects.exists()


def test_hostile_text_is_shown_escaped(client_for, owner, engagement):
    _entry(engagement, owner, decision=HOSTILE, context=HOSTILE, consequences=HOSTILE)
    page = client_for(owner).get(_url(engagement)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_search_finds_entries_by_any_of_their_words(client_for, owner, engagement):
    _entry(engagement, owner, decision="Use the CRM export.", context="Two exports disagree.")
    _entry(
        engagement,
        owner,
        category="architecture",
        decision="Serve the model behind the existing ticket API.",
        context="The support tool cannot call new services.",
        consequences="Latency budget shared with the API.",
    )
    client = client_for(owner)
    page = client.get(_url(engagement), {"q": "latency API"}).content.decode()
    assert "Serve the model" in page and "Use the CRM export" not in page
    assert "1 entry matches" in page
    page = client.get(_url(engagement), {"q": "nothing-like-this"}).content.decode()
    assert "Nothing matches" in page
    # A query is bounded, and hostile queries are echoed escaped.
    page = client.get(_url(engagement), {"q": HOSTILE * 20}).content.decode()
    assert "<script>alert" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_postgresql_search_stems_words(client_for, owner, engagement):
    _entry(engagement, owner, decision="Retrained the classifier weekly.")
    page = client_for(owner).get(_url(engagement), {"q": "retraining"}).content.decode()
    assert "Retrained the classifier" in page


def test_htmx_search_returns_the_results_only(client_for, owner, engagement):
    _entry(engagement, owner)
    response = client_for(owner).get(_url(engagement), {"q": "CRM"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Use the CRM export." in body and "<html" not in body and "Log a decision" not in body


@pytest.mark.parametrize("count", [3, 45])
def test_the_log_runs_the_same_queries_whatever_its_length(
    client_for, owner, engagement, count, django_assert_num_queries
):
    today = timezone.localdate()
    DecisionLogEntry.objects.bulk_create(
        DecisionLogEntry(
            engagement=engagement,
            author=owner,
            decided_on=min(today, date(2026, 1, 5) + timedelta(days=i)),
            category="tooling",
            context=f"Context {i}",
            decision=f"Decision number {i}",
        )
        for i in range(count)
    )
    client = client_for(owner)
    # session, user, memberships, engagement, phases, count (pager), entries (with authors)
    with django_assert_num_queries(7):
        response = client.get(_url(engagement))
    assert response.content.decode().count('class="card decision-entry"') == min(count, 20)
    if count > 20:
        older = client.get(_url(engagement), {"page": 3}).content.decode()
        assert older.count('class="card decision-entry"') == count - 40
