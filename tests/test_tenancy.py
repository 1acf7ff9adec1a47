"""Every routed URL, generated from the URL patterns: anonymous → log-in, another
organisation's member (holding the permission) → 404, a too-weak role → 403.

The permission each URL needs is read from its view (`member_required`), and the role that
must be refused is derived from the role table. A pattern with arguments fails
`test_every_url_with_arguments_has_a_fixture` until `ARGS` says how to build them.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.access import EXEMPT_NAMESPACES, PUBLIC_URL_NAMES
from accounts.checks import routes
from accounts.models import Invitation, Membership
from accounts.roles import PERMISSIONS, Role, weakest_refused
from api.models import ApiToken
from engagements.models import (
    ChangeRequest,
    DecisionLogEntry,
    Engagement,
    GateCondition,
    GateDecision,
    Invoice,
    Milestone,
)
from engagements.weekly_reports import ReportInput, submit_report
from tests.reportapp.models import Attachment

from .conftest import make_engagement, make_member, request_job

# URL name → its arguments, built from the `objects` fixture below.
ARGS = {
    "files:download": lambda o: ["reportapp.Attachment", o["attachment"].pk, "document"],
    "engagements:detail": lambda o: [o["engagement"].pk],
    "engagements:edit": lambda o: [o["engagement"].pk],
    "engagements:decide": lambda o: [o["engagement"].pk, 1],
    "engagements:gatekeepers": lambda o: [o["engagement"].pk, 1],
    "engagements:vote": lambda o: [o["engagement"].pk, 1],
    "engagements:activity": lambda o: [o["engagement"].pk],
    "engagements:gate_criteria": lambda o: [o["engagement"].pk, 1],
    "engagements:criterion_add": lambda o: [o["engagement"].pk, 1],
    "engagements:criterion_edit": lambda o: [o["engagement"].pk, 1, o["criterion"].pk],
    "engagements:criterion_evidence": lambda o: [o["engagement"].pk, 1, o["criterion"].pk],
    "engagements:criterion_delete": lambda o: [o["engagement"].pk, 1, o["criterion"].pk],
    "engagements:conditions": lambda o: [o["engagement"].pk],
    "engagements:condition_done": lambda o: [o["condition"].pk],
    "engagements:vendor_contacts": lambda o: [o["engagement"].pk],
    "engagements:milestones": lambda o: [o["engagement"].pk],
    "engagements:milestone_edit": lambda o: [o["engagement"].pk, o["milestone"].pk],
    "engagements:milestone_delete": lambda o: [o["engagement"].pk, o["milestone"].pk],
    "engagements:handover": lambda o: [o["engagement"].pk],
    "engagements:checklist_item": lambda o: [o["engagement"].pk, o["checklist_item"].pk],
    "engagements:checklist_item_delete": lambda o: [o["engagement"].pk, o["checklist_item"].pk],
    "engagements:decision_log": lambda o: [o["engagement"].pk],
    "engagements:decision_log_edit": lambda o: [o["engagement"].pk, o["log_entry"].pk],
    "engagements:weekly_reports": lambda o: [o["engagement"].pk],
    "engagements:weekly_report_new": lambda o: [o["engagement"].pk],
    "engagements:weekly_report": lambda o: [o["engagement"].pk, o["weekly_report"].pk],
    "engagements:weekly_report_amend": lambda o: [o["engagement"].pk, o["weekly_report"].pk],
    "engagements:invoices": lambda o: [o["engagement"].pk],
    "engagements:invoice_add": lambda o: [o["engagement"].pk],
    "engagements:invoice_delete": lambda o: [o["invoice"].pk],
    "engagements:change_requests": lambda o: [o["engagement"].pk],
    "engagements:change_request_propose": lambda o: [o["engagement"].pk],
    "engagements:change_request_decide": lambda o: [o["change_request"].pk],
    "engagements:change_request_withdraw": lambda o: [o["change_request"].pk],
    "reports:request": lambda o: ["board_gate_summary", o["gate"].pk],
    "reports:job": lambda o: [o["job"].pk],
    "accounts:member_role": lambda o: [o["membership"].pk],
    "accounts:member_remove": lambda o: [o["membership"].pk],
    "accounts:invitation_resend": lambda o: [o["invitation"].pk],
    "accounts:invitation_revoke": lambda o: [o["invitation"].pk],
    "reports:download": lambda o: [o["job"].pk],
    "tokens:revoke": lambda o: [o["token"].pk],
}


def guarded_routes():
    """(URL name, permission, takes arguments) for every URL that needs a permission."""
    for route, name, view in routes():
        if name in PUBLIC_URL_NAMES or not name or name.split(":")[0] in EXEMPT_NAMESPACES:
            continue
        yield name, view.required_permission, "<" in route


ROUTES = {name: (perm, has_args) for name, perm, has_args in guarded_routes()}
SCOPED = sorted(name for name, (_, has_args) in ROUTES.items() if has_args)
REFUSABLE = sorted(name for name, (perm, _) in ROUTES.items() if weakest_refused(perm))


def test_every_url_with_arguments_has_a_fixture():
    assert set(SCOPED) <= set(ARGS), f"add ARGS rows for {sorted(set(SCOPED) - set(ARGS))}"


def test_every_guarded_url_is_tested():
    # A sanity check on the generator itself: the skeleton's URLs are all here.
    assert {"engagements:portfolio", "engagements:decide", "reports:download"} <= set(ROUTES)


@pytest.fixture
def objects(org, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    engagement = make_engagement(org, owner)
    gate = engagement.gates.get(number=1)
    job = request_job(gate, owner)
    membership = owner.memberships.get()
    invitation = Invitation.objects.create(organisation=org, email="new@acme.test", role="board")
    attachment = Attachment(engagement=engagement)
    attachment.document.save("brief.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    invoice = Invoice.objects.create(
        engagement=engagement,
        phase=engagement.phases.get(number=1),
        amount=1000,
        date=engagement.start_date,
        reference="INV-1",
    )
    change_request = ChangeRequest.objects.create(
        engagement=engagement, title="Second language", reason="Spanish", requested_by=owner
    )
    weekly_report = submit_report(
        engagement, ReportInput(year=2026, week=2, summary="Kick-off."), owner, date(2026, 1, 9)
    )
    milestone = Milestone.objects.create(
        engagement=engagement,
        phase=engagement.phases.get(number=1),
        title="Baseline model trained",
        due_date=engagement.start_date,
    )
    log_entry = DecisionLogEntry.objects.create(
        engagement=engagement,
        decided_on=engagement.start_date,
        category="data",
        context="Two ticket exports disagree.",
        decision="Use the CRM export.",
        author=owner,
    )
    # A condition on a Hold written directly: its gate stays open for the other routes.
    condition = GateCondition.objects.create(
        engagement=engagement,
        decision=GateDecision.objects.create(
            gate=gate,
            outcome="hold",
            rationale="Wait.",
            decided_by=owner,
            decided_on=date(2026, 2, 2),
        ),
        title="Refresh the hold-out set",
        owner=owner,
        due_date=date(2026, 3, 1),
    )
    return {
        "condition": condition,
        "milestone": milestone,
        "checklist_item": engagement.checklist_items.get(key="kt_runbook"),
        "criterion": gate.criteria.get(key="baseline_model"),
        "log_entry": log_entry,
        "weekly_report": weekly_report,
        "attachment": attachment,
        "invoice": invoice,
        "change_request": change_request,
        "engagement": engagement,
        "gate": gate,
        "job": job,
        "membership": membership,
        "invitation": invitation,
        "token": ApiToken.issue(membership, "CI")[0],
    }


def call(client, name, objects):
    """GET the URL, or POST it when it only takes posts."""
    url = reverse(name, args=ARGS[name](objects) if name in ARGS else [])
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_is_sent_to_log_in(client, objects, name):
    response = call(client, name, objects)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", SCOPED)
def test_another_organisations_member_gets_404(client_for, other_org, objects, name):
    perm = ROUTES[name][0]
    strong = next(iter(sorted(PERMISSIONS[perm])))
    outsider = make_member(other_org, strong, email=f"outsider-{strong}@globex.test")
    assert call(client_for(outsider), name, objects).status_code == 404


@pytest.mark.parametrize("name", REFUSABLE)
def test_a_too_weak_role_gets_403(client_for, org, objects, name):
    role = weakest_refused(ROUTES[name][0])
    # Not the `objects` owner's address: the refused role may be owner itself.
    weak = make_member(org, role, email=f"weak-{role}@acme.test")
    if weak.memberships.get().is_vendor:
        # Even assigned to the engagement, a vendor contact's role is what refuses it.
        objects["engagement"].vendor_contacts.add(weak.memberships.get())
    response = call(client_for(weak), name, objects)
    assert response.status_code == 403
    assert "does not allow this" in response.content.decode()


def test_a_user_without_membership_gets_403(client_for, objects, django_user_model):
    loner = django_user_model.objects.create_user(username="loner@x.test", password="pw")
    assert call(client_for(loner), "engagements:portfolio", objects).status_code == 403


def test_outsiders_portfolio_does_not_show_our_engagements(client_for, outsider, objects):
    page = call(client_for(outsider), "engagements:portfolio", objects).content.decode()
    assert objects["engagement"].title not in page


def test_unknown_ids_are_404(client_for, owner, objects):
    client = client_for(owner)
    assert client.get(reverse("engagements:detail", args=[999_999])).status_code == 404
    assert client.get(reverse("reports:job", args=[999_999])).status_code == 404


def test_a_member_of_two_organisations_switches_between_them(client_for, org, other_org, owner):
    Membership.objects.create(user=owner, organisation=other_org, role=Role.BOARD)
    ours = make_engagement(org, owner, title="Ours at Acme")
    theirs = make_engagement(other_org, None, title="Theirs at Globex")
    client = client_for(owner)
    assert "Ours at Acme" in client.get(reverse("engagements:portfolio")).content.decode()
    assert client.get(reverse("engagements:detail", args=[theirs.pk])).status_code == 404

    client.post(reverse("accounts:switch"), {"organisation": other_org.pk})
    page = client.get(reverse("engagements:portfolio")).content.decode()
    assert "Theirs at Globex" in page and "Ours at Acme" not in page
    assert client.get(reverse("engagements:detail", args=[ours.pk])).status_code == 404
    # As a board member there, the owner's powers are gone.
    assert client.get(reverse("engagements:edit", args=[theirs.pk])).status_code == 403


def test_switching_to_an_organisation_you_are_not_in_changes_nothing(client_for, owner, other_org):
    client = client_for(owner)
    response = client.post(reverse("accounts:switch"), {"organisation": other_org.pk}, follow=True)
    assert "You are not a member of that organisation." in response.content.decode()
    assert Engagement.objects.filter(organisation=other_org).count() == 0
