"""The audit trail: who changed what, when, from what to what — scoped like everything else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.feed import build_feed
from audit.models import audited_history_models, forget_organisation
from engagements.models import Engagement, GateDecision, ImmutableRecordError, Kpi, Phase

from .conftest import decide, make_engagement, make_member
from .test_engagement_views import HOSTILE, decision_payload, edit_payload

HistoricalEngagement = Engagement.history.model
HistoricalGateDecision = GateDecision.history.model


def named(user, first, last):
    user.first_name, user.last_name = first, last
    user.save()
    return user


def activity(client, engagement):
    return client.get(reverse("engagements:activity", args=[engagement.pk]))


def test_every_audited_model_joins_with_one_line():
    labels = {m.instance_type._meta.label for m in audited_history_models()}
    assert {
        "engagements.Engagement",
        "engagements.Phase",
        "engagements.Gate",
        "engagements.GateDecision",
        "engagements.Kpi",
        "accounts.Membership",
    } <= labels


def test_a_new_engagement_has_its_whole_plan_in_its_history(client_for, owner, org):
    named(owner, "Olivia", "Owner")
    from .test_engagement_views import create_payload

    response = client_for(owner).post(reverse("engagements:create"), create_payload())
    engagement = Engagement.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    # Phases and gates arrive by bulk insert, and are recorded all the same, with their author.
    assert Phase.history.filter(engagement_id=engagement.pk, history_type="+").count() == 3
    for model in (Engagement, Phase, Kpi):
        assert set(model.history.values_list("history_user", flat=True)) == {owner.pk}
        assert set(model.history.values_list("history_organisation", flat=True)) == {org.pk}
    page = activity(client_for(owner), engagement).content.decode()
    assert page.count("created the phase") == 3 and page.count("created the gate") == 3
    assert "created the engagement" in page and "Olivia Owner" in page


def test_editing_an_engagement_records_before_and_after_and_who(client_for, owner, engagement):
    named(owner, "Olivia", "Owner")
    data = edit_payload(engagement, title="Renamed triage", budget="275000")
    client = client_for(owner)
    assert client.post(reverse("engagements:edit", args=[engagement.pk]), data).status_code == 302

    change = Engagement.history.filter(id=engagement.pk, history_type="~").get()
    assert change.history_user == owner
    membership = owner.memberships.get()
    entry = next(e for e in build_feed(membership, [Engagement.history.all()]).entries if e.changes)
    changes = {c.field: (c.before, c.after) for c in entry.changes}
    assert changes["title"] == ("Support ticket triage", "Renamed triage")
    assert changes["budget"] == ("250,000", "275,000")
    assert "updated at" not in changes  # timestamps are not news
    assert (entry.action, entry.what, entry.object) == ("changed", "engagement", "Renamed triage")

    page = activity(client, engagement).content.decode()
    assert "Olivia Owner" in page and "owner@acme.test" not in page
    assert "Support ticket triage" in page and "Renamed triage" in page
    assert "250,000" in page and "275,000" in page


def test_a_recorded_decision_and_what_it_did_are_in_the_activity(client_for, owner, engagement):
    named(owner, "Olivia", "Owner")
    client = client_for(owner)
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    assert client.post(url, decision_payload(outcome="no_go")).status_code == 302

    decision = GateDecision.objects.get()
    record = HistoricalGateDecision.objects.get()
    assert (record.history_type, record.history_user, record.id) == ("+", owner, decision.pk)
    entries = build_feed(
        owner.memberships.get(),
        [Engagement.history.all(), GateDecision.history.all(), Phase.history.all()],
    ).entries
    created = next(e for e in entries if e.what == "gate decision")
    assert (created.action, created.object) == ("created", "No-Go at gate 1")
    status = next(e for e in entries if e.what == "engagement" and e.action == "changed")
    assert [(c.field, c.before, c.after) for c in status.changes] == [
        ("status", "Active", "Stopped")
    ]
    phase_changes = [
        (c.field, c.before, c.after)
        for e in entries
        if e.what == "phase" and e.action == "changed"
        for c in e.changes
    ]
    assert ("status", "Active", "Stopped") in phase_changes
    assert phase_changes.count(("status", "Planned", "Cancelled")) == 2  # phases 2 and 3

    page = activity(client, engagement).content.decode()
    assert "created the gate decision" in page and "No-Go at gate 1" in page
    assert "Stopped" in page


def test_decisions_stay_immutable_with_history(owner, engagement):
    decision = decide(engagement, 1, "hold", owner)
    with pytest.raises(ImmutableRecordError):
        decision.save()
    with pytest.raises(ImmutableRecordError):
        decision.delete()
    assert GateDecision.history.count() == 1


def test_changes_outside_a_request_are_recorded_without_a_user(owner, engagement):
    engagement.title = "Renamed by a command"
    engagement.save()
    assert Engagement.history.latest().history_user is None


def test_another_organisations_activity_is_invisible(client_for, owner, outsider, engagement):
    engagement.title = "Ours, renamed"
    engagement.save()
    client = client_for(outsider)
    assert activity(client, engagement).status_code == 404
    outsider_membership = outsider.memberships.get()
    for model in audited_history_models():
        theirs = model.objects.restrict(outsider_membership)
        assert not theirs.filter(history_organisation=engagement.organisation).exists(), model
    make_member(outsider.memberships.get().organisation, Role.ADMIN, "admin@globex.test")
    admin_client = client_for(
        outsider.memberships.get().organisation.memberships.get(role=Role.ADMIN).user
    )
    page = admin_client.get(reverse("audit:organisation")).content.decode()
    assert "Ours, renamed" not in page and "Support ticket triage" not in page


def test_vendor_contacts_never_read_the_audit_trail(client_for, org, owner, engagement):
    vendor = make_member(org, Role.VENDOR)
    membership = vendor.memberships.get()
    engagement.vendor_contacts.add(membership)  # even assigned to it
    engagement.budget = 1
    engagement.save()
    client = client_for(vendor)
    assert activity(client, engagement).status_code == 403
    assert client.get(reverse("audit:organisation")).status_code == 403
    for model in audited_history_models():
        assert not model.objects.restrict(membership).exists(), model
    assert build_feed(membership, [m.objects.all() for m in audited_history_models()]).entries == []


def test_organisation_activity_is_for_admins_and_names_the_engagement(
    client_for, org, owner, admin
):
    named(admin, "Ada", "Admin")
    engagement = make_engagement(org, owner, title="Invoice extraction")
    decide(engagement, 1, "go", owner)
    assert client_for(owner).get(reverse("audit:organisation")).status_code == 403
    page = client_for(admin).get(reverse("audit:organisation")).content.decode()
    assert "Go at gate 1" in page and "Invoice extraction" in page
    assert "created the membership" in page  # members joining are recorded too
    assert 'href="/activity/"' in page  # the header link, for admins


def test_the_engagement_page_links_to_its_activity(client_for, owner, board, vendor, engagement):
    link = reverse("engagements:activity", args=[engagement.pk])
    assert (
        link
        in client_for(board)
        .get(reverse("engagements:detail", args=[engagement.pk]))
        .content.decode()
    )
    engagement.vendor_contacts.add(vendor.memberships.get())
    page = client_for(vendor).get(reverse("engagements:detail", args=[engagement.pk]))
    assert link not in page.content.decode()


def test_hostile_text_is_shown_escaped(client_for, owner, engagement):
    engagement.title = HOSTILE
    engagement.save()
    page = activity(client_for(owner), engagement).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def _churn(engagement, owner, times):
    for i in range(times):
        engagement.title = f"Title {i}"
        engagement.save()
        kpi = engagement.kpis.get()
        kpi.target = 700 - i
        kpi.save()
        phase = engagement.phases.get(number=2)
        phase.planned_end = phase.planned_end.replace(day=1 + i % 27)
        phase.save()


@pytest.mark.parametrize("url_name", ["engagements:activity", "audit:organisation"])
def test_activity_pages_run_a_constant_number_of_queries(client_for, org, admin, url_name):
    engagement = make_engagement(org, admin)
    client = client_for(admin)
    url = reverse(url_name, args=[engagement.pk] if url_name == "engagements:activity" else [])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _churn(engagement, admin, 2)
    decide(engagement, 1, "hold", admin)
    small = count()
    _churn(engagement, admin, 25)
    decide(
        engagement,
        1,
        "recycle",
        admin,
        new_end_date=engagement.phases.get(number=1).planned_end.replace(year=2027),
    )
    make_member(org, Role.BOARD)
    assert count() == small


def test_older_changes_are_a_page_away(client_for, owner, engagement):
    membership = owner.memberships.get()
    for i in range(5):
        engagement.title = f"Title {i}"
        engagement.save()
    first = build_feed(membership, [Engagement.history.all()], limit=3)
    assert [e.object for e in first.entries] == ["Title 4", "Title 3", "Title 2"]
    second = build_feed(membership, [Engagement.history.all()], limit=3, before=first.older)
    assert [e.object for e in second.entries] == ["Title 1", "Title 0", "Support ticket triage"]
    assert second.older is None

    client = client_for(owner)
    assert activity(client, engagement).status_code == 200
    url = reverse("engagements:activity", args=[engagement.pk])
    response = client.get(url, {"before": "not a date"})
    assert response.status_code == 200
    assert "That link to older changes is not valid" in response.content.decode()


def test_deleted_records_stay_in_the_trail_and_go_with_their_organisation(owner, org, engagement):
    kpi = engagement.kpis.get()
    kpi.delete()
    membership = owner.memberships.get()
    entries = build_feed(membership, [Kpi.history.all()]).entries
    assert [e.action for e in entries] == ["deleted", "created"]
    assert forget_organisation(org.pk) > 0
    assert not any(
        m.objects.filter(history_organisation=org).exists() for m in audited_history_models()
    )


def test_internal_fields_are_withheld_from_a_role_without_audit_internal(
    monkeypatch, owner, engagement
):
    """Today every role that reads the trail may read internal fields; should one ever not,
    the snapshot's internal fields are neither loaded nor diffed for it."""
    from accounts import roles

    engagement.budget, engagement.outsourcing_reason = 1, "Secret reason"
    engagement.save()
    monkeypatch.setitem(roles.PERMISSIONS, "audit.view_internal", frozenset({Role.ADMIN}))
    membership = owner.memberships.get()
    entries = build_feed(membership, [Engagement.history.all()]).entries
    assert entries[0].action == "created"  # the only change was internal: nothing to show
    assert all(
        c.field not in {"budget", "reason for outsourcing"} for e in entries for c in e.changes
    )


def test_assigning_vendor_contacts_is_recorded_by_name(client_for, org, owner, engagement):
    named(owner, "Olivia", "Owner")
    vera = named(make_member(org, Role.VENDOR), "Vera", "Vendor")
    client = client_for(owner)
    url = reverse("engagements:vendor_contacts", args=[engagement.pk])
    response = client.post(url, {"contacts": [vera.memberships.get().pk]})
    assert response.status_code == 302
    # The view saves through an `only("pk")` copy: the snapshot still holds the real budget.
    assert set(Engagement.history.values_list("budget", flat=True)) == {engagement.budget}
    entries = build_feed(owner.memberships.get(), [Engagement.history.all()]).entries
    assigned = entries[0]
    assert assigned.user == owner
    assert [(c.field, c.before, c.after) for c in assigned.changes] == [
        ("vendor contacts", "—", "Vera Vendor")
    ]
    assert "Vera Vendor" in activity(client, engagement).content.decode()


def test_a_deleted_kpi_is_snapshotted_whole_even_from_a_partial_copy(owner, engagement):
    Kpi.objects.only("pk").get().delete()
    deleted = Kpi.history.get(history_type="-")
    assert (deleted.name, deleted.target) == ("Manual tickets", 720)


def test_paging_neither_skips_nor_repeats_changes_made_in_one_instant(owner, engagement):
    membership = owner.memberships.get()
    for i in range(5):
        engagement.title = f"Title {i}"
        engagement.save()
    # A bulk insert stamps several rows with one instant: here "Title 2" and "Title 3", which
    # the first page of two would split.
    rows = list(Engagement.history.order_by("history_id"))
    Engagement.history.filter(pk__in=[r.pk for r in rows[3:5]]).update(
        history_date=rows[3].history_date
    )
    seen, before = [], None
    for _ in range(5):
        feed = build_feed(membership, [Engagement.history.all()], limit=2, before=before)
        seen += [e.object for e in feed.entries]
        if feed.older is None:
            break
        before = feed.older
    assert sorted(seen) == sorted(["Support ticket triage"] + [f"Title {i}" for i in range(5)])
    assert len(seen) == len(set(seen))


def test_links_changed_from_the_other_side_are_recorded_on_the_audited_record(
    org, owner, engagement
):
    contact = make_member(org, Role.VENDOR).memberships.get()
    contact.assigned_engagements.add(engagement)
    contact.assigned_engagements.clear()
    membership = owner.memberships.get()
    entries = build_feed(membership, [Engagement.history.all()]).entries
    assert [(e.action, [c.field for c in e.changes]) for e in entries[:2]] == [
        ("changed", ["vendor contacts"]),
        ("changed", ["vendor contacts"]),
    ]
    assert entries[0].changes[0].after == "—" and entries[1].changes[0].before == "—"


@pytest.mark.parametrize("cursor", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_cursor_past_the_calendar_is_refused_politely(client_for, admin, engagement, cursor):
    for url in (
        reverse("audit:organisation"),
        reverse("engagements:activity", args=[engagement.pk]),
    ):
        response = client_for(admin).get(url, {"before": cursor})
        assert response.status_code == 200


def test_an_engagement_starting_on_its_own_is_recorded_as_the_systems_doing(org, owner):
    from datetime import date, timedelta

    from engagements.actions import start_due_engagements

    start = date.today() + timedelta(days=30)
    engagement = make_engagement(org, owner, start_date=start)
    assert start_due_engagements(start) == 1
    latest = engagement.history.order_by("-history_date").first()
    assert latest.status == "active" and latest.history_user is None
    poc = engagement.phases.get(number=1).history.order_by("-history_date").first()
    assert (poc.status, poc.actual_start, poc.history_user) == ("active", start, None)
