"""What a vendor contact may see and do with milestones: their engagements only, status and
evidence only, and only where a vendor contact or nobody owns the milestone."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from engagements.models import Milestone

from .conftest import make_engagement
from .test_milestones import _add_url, _edit_url, _milestone, _payload

# --- Vendor contacts -------------------------------------------------------------------------


def test_an_assigned_vendor_contact_sees_the_milestones_without_colleagues_names(
    client_for, owner, assigned_vendor, engagement
):
    _milestone(engagement, owner=owner)
    _milestone(engagement, title="Runbook drafted", owner=assigned_vendor)
    owner.first_name, owner.last_name = "Olivia", "Owner"
    owner.save()
    page = client_for(assigned_vendor).get(_add_url(engagement)).content.decode()
    assert "Pipeline in staging" in page and "Runbook drafted" in page
    assert "Olivia" not in page and "Owner: assigned" in page and "Owner: you" in page
    assert "Add a milestone" not in page and "Delete" not in page


def test_a_vendor_contact_marks_status_and_evidence_but_nothing_else(
    client_for, assigned_vendor, engagement
):
    milestone = _milestone(engagement)
    data = _payload(
        engagement,
        title="Renamed by the vendor",
        due_date="2026-07-01",
        status="done",
        evidence_link="github.com/acme/triage/pull/42",
    )
    response = client_for(assigned_vendor).post(_edit_url(milestone), data)
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.evidence_link == "https://github.com/acme/triage/pull/42"
    assert milestone.title == "Pipeline in staging" and milestone.due_date == date(2026, 4, 6)


def test_a_vendor_contact_updates_only_milestones_a_vendor_contact_or_nobody_owns(
    client_for, owner, assigned_vendor, engagement
):
    """ "Our team retrains the model without the vendor", owned by the CTO, is the client's to
    confirm: no Update button for the vendor, and a refused post with the reason."""
    ours = _milestone(engagement, 3, "Our team retrains the model", date(2026, 7, 1), owner=owner)
    theirs = _milestone(engagement, title="Pipeline in staging", owner=assigned_vendor)
    nobodys = _milestone(engagement, title="Monitoring live")
    client = client_for(assigned_vendor)
    page = client.get(_add_url(engagement)).content.decode()
    assert _edit_url(ours) not in page
    assert _edit_url(theirs) in page and _edit_url(nobodys) in page
    assert "Owned by the client's team, who confirm it." in page
    response = client.post(_edit_url(ours), {"status": "done"})
    assert response.status_code == 403
    assert "is owned by the client" in response.content.decode()
    assert client.get(_edit_url(ours)).status_code == 403
    ours.refresh_from_db()
    assert ours.status == "planned"
    for milestone in (theirs, nobodys):
        assert client.post(_edit_url(milestone), {"status": "done"}).status_code == 302
        milestone.refresh_from_db()
        assert milestone.status == "done"


def test_a_vendor_contact_may_not_add_or_delete(client_for, assigned_vendor, engagement):
    milestone = _milestone(engagement)
    client = client_for(assigned_vendor)
    assert client.post(_add_url(engagement), _payload(engagement)).status_code == 403
    delete = reverse("engagements:milestone_delete", args=[engagement.pk, milestone.pk])
    assert client.post(delete).status_code == 403
    assert Milestone.objects.count() == 1


def test_a_vendor_contact_reaches_only_assigned_engagements(
    client_for, org, owner, assigned_vendor, engagement
):
    other = make_engagement(org, owner, title="Not theirs")
    theirs = _milestone(other)
    client = client_for(assigned_vendor)
    assert client.get(_add_url(other)).status_code == 404
    assert client.post(_edit_url(theirs), {"status": "done"}).status_code == 404
    # Nor through an engagement they do see: the milestone must belong to it.
    wrong_parent = reverse("engagements:milestone_edit", args=[engagement.pk, theirs.pk])
    assert client.post(wrong_parent, {"status": "done"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "planned"
