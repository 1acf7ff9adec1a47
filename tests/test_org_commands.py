"""`createorg` and `deleteorg`, the Django admin for staff, and the mail backend."""

from __future__ import annotations

import json
import os
import re
import time
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Invitation, Membership, Organisation
from accounts.roles import Role
from engagements.models import Engagement, Gate, GateDecision, Kpi, Phase
from handover.mail import deserialise, serialise
from reports.models import ReportJob

from .conftest import decide, make_engagement, make_member, request_job

User = get_user_model()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- createorg -----------------------------------------------------------------------------


def test_createorg_creates_the_organisation_and_prints_the_admins_link(db, client, settings):
    settings.SITE_URL = "https://handover.example.com"
    out = run("createorg", "Initech Ltd", "--admin", "Bill@Initech.test")
    organisation = Organisation.objects.get(slug="initech-ltd")
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.email == "bill@initech.test" and invitation.role == Role.ADMIN
    link = re.search(r"https://handover\.example\.com(/accounts/invitations/\S+/)", out)
    assert link, out
    page = client.get(link.group(1)).content.decode()
    assert "You are invited" in page and "Initech Ltd as Org admin" in page
    client.post(
        link.group(1),
        {"first_name": "Bill", "password1": "tps reports 2026", "password2": "tps reports 2026"},
    )
    assert Membership.objects.get(organisation=organisation).role == Role.ADMIN


def test_createorg_makes_the_slug_unique(org):
    run("createorg", "Acme", "--admin", "a@acme2.test")
    assert Organisation.objects.filter(slug="acme-2").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("Fine", "--admin", "not-an-address"),
        ("", "--admin", "a@b.test"),
        ("x" * 201, "--admin", "a@b.test"),
        ("Acme\nBcc: everyone@example.com", "--admin", "a@b.test"),
    ],
)
def test_createorg_refuses_bad_input(db, args):
    with pytest.raises(CommandError):
        run("createorg", *args)
    assert not Organisation.objects.exists()


# --- deleteorg -----------------------------------------------------------------------------


@pytest.fixture
def doomed(settings, tmp_path, org, owner, admin, vendor, other_org, outsider):
    """Acme with an engagement, a decision, a report file and an invitation; Globex beside."""
    settings.MEDIA_ROOT = tmp_path
    engagement = make_engagement(org, owner)
    engagement.vendor_contacts.add(vendor.memberships.get())
    decide(engagement, 1, "go", by=owner)
    job = request_job(engagement.gates.get(number=1), owner)
    job.file.save("acme-board.pdf", ContentFile(b"%PDF-1.7 acme"), save=True)
    Invitation.objects.create(organisation=org, email="soon@acme.test", role=Role.BOARD)
    theirs = make_engagement(other_org, outsider, title="Globex work")
    decide(theirs, 1, "go", by=outsider)
    their_job = request_job(theirs.gates.get(number=1), outsider)
    their_job.file.save("globex-board.pdf", ContentFile(b"%PDF-1.7 globex"), save=True)
    return {"job": job, "their_job": their_job, "theirs": theirs}


def counts(organisation_id):
    return {
        "engagements": Engagement.objects.filter(organisation_id=organisation_id).count(),
        "phases": Phase.objects.filter(engagement__organisation_id=organisation_id).count(),
        "gates": Gate.objects.filter(engagement__organisation_id=organisation_id).count(),
        "kpis": Kpi.objects.filter(engagement__organisation_id=organisation_id).count(),
        "decisions": GateDecision.objects.filter(
            gate__engagement__organisation_id=organisation_id
        ).count(),
        "jobs": ReportJob.objects.filter(organisation_id=organisation_id).count(),
        "members": Membership.objects.filter(organisation_id=organisation_id).count(),
        "invitations": Invitation.objects.filter(organisation_id=organisation_id).count(),
    }


def audit_rows(organisation_id) -> int:
    try:
        from audit.models import audited_history_models
    except ImportError:
        return 0
    return sum(
        m.objects.filter(history_organisation_id=organisation_id).count()
        for m in audited_history_models()
    )


def test_deleteorg_removes_everything_of_that_organisation_only(
    doomed, org, other_org, outsider, django_capture_on_commit_callbacks
):
    org_id, theirs_before = org.pk, counts(other_org.pk)
    staff = make_member(org, Role.BOARD, "support@handover.test")
    staff.is_staff = True
    staff.save()
    job_path, their_path = doomed["job"].file.path, doomed["their_job"].file.path
    with django_capture_on_commit_callbacks(execute=True):
        out = run("deleteorg", "acme", "--yes")
    assert "Deleted Acme" in out
    assert not Organisation.objects.filter(pk=org_id).exists()
    assert set(counts(org_id).values()) == {0}
    assert audit_rows(org_id) == 0
    # Accounts that belonged nowhere else are gone; staff stay.
    assert not User.objects.filter(email__endswith="@acme.test").exists()
    assert User.objects.filter(email="support@handover.test").exists()
    # The report file went from storage; the other organisation's stayed.
    assert not os.path.exists(job_path)
    assert os.path.exists(their_path)
    # Globex is untouched.
    assert counts(other_org.pk) == theirs_before
    assert User.objects.filter(pk=outsider.pk).exists()


def test_deleteorg_keeps_people_who_belong_elsewhere(doomed, org, other_org, owner):
    Membership.objects.create(user=owner, organisation=other_org, role=Role.BOARD)
    run("deleteorg", "acme", "--yes")
    assert User.objects.filter(pk=owner.pk).exists()
    assert owner.memberships.get().organisation == other_org


def test_deleteorg_asks_for_the_slug(doomed, org, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "acme-typo")
    with pytest.raises(CommandError, match="did not match"):
        run("deleteorg", "acme")
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert counts(org.pk)["decisions"] == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "acme")
    run("deleteorg", "acme")
    assert not Organisation.objects.filter(pk=org.pk).exists()


def test_deleteorg_refuses_an_unknown_slug(db):
    with pytest.raises(CommandError, match="no organisation with the slug 'nope'"):
        run("deleteorg", "nope", "--yes")


# --- Django admin --------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, db):
    staff = User.objects.create_user(
        username="staff@handover.test",
        email="staff@handover.test",
        password="pw",
        is_staff=True,
        is_superuser=True,
    )
    client.force_login(staff)
    return client


def test_staff_reach_the_admin_and_decisions_are_read_only(staff_client, engagement, owner):
    decision = decide(engagement, 1, "go", by=owner)
    assert staff_client.get(reverse("admin:index")).status_code == 200
    for model in ("organisation", "membership", "invitation"):
        assert staff_client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:engagements_engagement_changelist")).status_code == 200
    assert (
        staff_client.get(reverse("admin:engagements_engagement_change", args=[engagement.pk]))
    ).status_code == 200
    assert staff_client.get(reverse("admin:reports_reportjob_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:engagements_gatedecision_changelist")).status_code == 200
    view = staff_client.get(reverse("admin:engagements_gatedecision_change", args=[decision.pk]))
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert staff_client.get(reverse("admin:engagements_gatedecision_add")).status_code == 403
    delete = reverse("admin:engagements_gatedecision_delete", args=[decision.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert GateDecision.objects.filter(pk=decision.pk).exists()


def test_members_are_not_let_into_the_admin(client_for, admin):
    response = client_for(admin).get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_every_model_of_ours_is_in_the_admin_or_read_elsewhere():
    from django.contrib import admin

    registered = {m._meta.label for m in admin.site._registry}
    assert {
        "accounts.Organisation",
        "accounts.Membership",
        "accounts.Invitation",
        "engagements.Engagement",
        "engagements.GateDecision",
        "reports.ReportJob",
    } <= registered
    assert apps.get_model("engagements", "GateDecision")


# --- Mail through the worker ---------------------------------------------------------------


def test_a_message_survives_the_trip_through_the_queue():
    message = EmailMultiAlternatives(
        subject="Board pack",
        body="Plain text",
        to=["a@x.test"],
        cc=["c@x.test"],
        reply_to=["r@x.test"],
        headers={"X-Handover": "1"},
    )
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.attach("notes.txt", "some notes", "text/plain")
    message.attach("pack.pdf", b"%PDF\x00\xff", "application/pdf")
    copy = deserialise(json.loads(json.dumps(serialise(message))))
    assert (copy.subject, copy.body, copy.to, copy.cc, copy.reply_to) == (
        "Board pack",
        "Plain text",
        ["a@x.test"],
        ["c@x.test"],
        ["r@x.test"],
    )
    assert copy.extra_headers == {"X-Handover": "1"}
    assert copy.alternatives[0][:2] == ("<p>HTML</p>", "text/html")
    assert [a[1] for a in copy.attachments] == ["some notes", b"%PDF\x00\xff"]


def test_the_backend_hands_mail_to_the_task_after_commit(
    db, mail_via_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail.send_mail("Hello", "Body", None, ["x@example.com"])
    assert mail_via_worker == [] and len(callbacks) == 1  # queued, not sent
    callbacks[0]()
    assert [m.subject for m in mail_via_worker] == ["Hello"]


@pytest.mark.worker
def test_a_real_worker_delivers_queued_mail(real_worker, mail_via_worker):
    mail.send_mail("Through the broker", "Body", None, ["x@example.com"])
    deadline = time.monotonic() + 20
    while not mail_via_worker and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m.subject for m in mail_via_worker] == ["Through the broker"]


def test_deleteorg_keeps_an_account_other_organisations_records_still_name(
    doomed, org, other_org, owner
):
    # Once at Globex, where they created an engagement; no longer a member there.
    theirs = make_engagement(other_org, owner, title="Globex work by a former member")
    run("deleteorg", "acme", "--yes")
    assert User.objects.filter(pk=owner.pk).exists()
    theirs.refresh_from_db()
    assert theirs.created_by_id == owner.pk  # still attributed, by name
