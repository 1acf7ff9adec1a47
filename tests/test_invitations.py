"""Invitations by e-mail: an admin invites, the mail goes out through the worker, and the
signed, expiring, single-use link brings the invitee into the organisation — and every bad
link or bad invitation gets a clear answer, with nothing half-written."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts import invitations
from accounts.models import Invitation, Membership
from accounts.roles import Role

from .conftest import make_member

User = get_user_model()
LINK = re.compile(r"https?://\S+/accounts/invitations/\S+/")


@pytest.fixture
def invite(client_for, admin, mail_via_worker, django_capture_on_commit_callbacks):
    """`invite(email, role)` as the admin, through the page → (response, outbox)."""

    def post(email="new.person@example.com", role=Role.PROCUREMENT, client=None):
        client = client or client_for(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:invite"), {"email": email, "role": role})
        return response

    return post


def link_in(message) -> str:
    return LINK.search(message.body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_admin_invites_and_the_worker_mails_the_link(invite, mail_via_worker, org, settings):
    settings.SITE_URL = "https://handover.example.com"
    response = invite("New.Person@Example.com")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.com"  # stored lower-case
    assert invitation.role == Role.PROCUREMENT and invitation.is_pending
    [message] = mail_via_worker
    assert message.to == ["new.person@example.com"]
    assert "Acme" in message.subject
    assert link_in(message).startswith("https://handover.example.com/accounts/invitations/")


def test_mail_waits_for_the_commit(client_for, admin, mail_via_worker):
    # Inside the request nothing is sent: the message is queued for after the commit
    # (which never comes in this test's transaction).
    client_for(admin).post(
        reverse("accounts:invite"), {"email": "later@example.com", "role": Role.BOARD}
    )
    assert Invitation.objects.filter(email="later@example.com").exists()
    assert mail_via_worker == []


def test_pending_invitations_are_listed_for_admins(invite, client_for, admin):
    invite("pending@example.com", Role.BOARD)
    page = client_for(admin).get(reverse("accounts:members")).content.decode()
    assert "pending@example.com" in page and "Board member" in page


@pytest.mark.parametrize(
    ("email", "role", "reason"),
    [
        ("not-an-address", Role.BOARD, "Enter a valid email address."),
        ("", Role.BOARD, "This field is required."),
        ("x" * 250 + "@example.com", Role.BOARD, "at most 254 characters"),
        ("ok@example.com", "emperor", "Select a valid choice."),
    ],
)
def test_bad_invitations_are_refused_with_a_reason(invite, mail_via_worker, email, role, reason):
    response = invite(email, role)
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert not Invitation.objects.exists() and mail_via_worker == []


def test_inviting_a_member_is_refused(invite, owner, mail_via_worker):
    response = invite("OWNER@acme.test")
    assert response.status_code == 422
    assert "owner@acme.test is already a member of Acme." in response.content.decode()
    assert not Invitation.objects.exists() and mail_via_worker == []


def test_inviting_twice_is_refused_while_the_first_is_pending(invite, mail_via_worker):
    invite("twice@example.com")
    response = invite("twice@example.com")
    assert response.status_code == 422
    assert "already has a pending invitation" in response.content.decode()
    assert Invitation.objects.count() == 1 and len(mail_via_worker) == 1


def test_the_database_allows_one_pending_invitation_per_address(org):
    Invitation.objects.create(organisation=org, email="one@example.com", role=Role.BOARD)
    with pytest.raises(IntegrityError):
        Invitation.objects.create(organisation=org, email="one@example.com", role=Role.OWNER)


def test_hostile_addresses_are_escaped(invite, client_for, admin):
    invite('"<b>x</b>"@example.com')
    assert Invitation.objects.filter(email='"<b>x</b>"@example.com').exists()
    page = client_for(admin).get(reverse("accounts:members")).content.decode()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_invitee_sets_a_name_and_password_and_lands_in_the_organisation(
    invite, mail_via_worker, client, org
):
    invite("new.person@example.com", Role.BOARD)
    url = path_of(link_in(mail_via_worker[0]))
    page = client.get(url)
    assert page.status_code == 200 and "Join Acme" in page.content.decode()
    client.logout()
    response = client.post(
        url,
        {
            "first_name": "Nina",
            "last_name": "Newcomer",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("engagements:portfolio")
    assert "Welcome to Acme" in body and "Nina Newcomer" in body
    user = User.objects.get(email="new.person@example.com")
    assert user.get_full_name() == "Nina Newcomer"
    assert Membership.objects.get(user=user).organisation == org
    assert Invitation.objects.get().accepted_by == user
    client.logout()
    response = client.post(
        reverse("accounts:login"),
        {"username": "new.person@example.com", "password": "a long enough passphrase"},
    )
    assert response.status_code == 302 and response.url == reverse("engagements:portfolio")


def test_a_used_link_does_not_work_again(invite, mail_via_worker, client, client_for, admin):
    invite("once@example.com")
    url = path_of(link_in(mail_via_worker[0]))
    client.logout()
    data = {"first_name": "O", "password1": "correct horse 42", "password2": "correct horse 42"}
    client.post(url, data)
    client.logout()
    response = client.post(url, data | {"first_name": "Mallory"})
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert User.objects.filter(email="once@example.com").count() == 1
    assert User.objects.get(email="once@example.com").first_name == "O"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"first_name": "A", "password1": "short", "password2": "short"}, "too short"),
        ({"first_name": "A", "password1": "password123", "password2": "password123"}, "common"),
        (
            {"first_name": "A", "password1": "a long passphrase", "password2": "another one"},
            "The two passwords differ",
        ),
        ({"first_name": "", "password1": "correct horse 42", "password2": "correct horse 42"}, ""),
    ],
)
def test_bad_names_and_passwords_are_refused_and_nothing_is_written(
    invite, mail_via_worker, client, data, reason
):
    invite("careful@example.com")
    url = path_of(link_in(mail_via_worker[0]))
    client.logout()
    response = client.post(url, data)
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert not User.objects.filter(email="careful@example.com").exists()
    assert Invitation.objects.get().is_pending


def test_an_expired_link_says_so(org, admin, client, monkeypatch, settings):
    invitation = invitations.invite(org, "late@example.com", Role.BOARD, admin)
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: now - settings.INVITATION_MAX_AGE.total_seconds() - 60)
        token = invitations.make_token(invitation)
    response = client.get(reverse("accounts:accept_invitation", args=[token]))
    assert response.status_code == 410
    body = response.content.decode()
    assert "This invitation has expired" in body and "resend" in body


def test_a_revoked_link_says_so(org, admin, client_for, client, mail_via_worker):
    invitation = invitations.invite(org, "gone@example.com", Role.BOARD, admin)
    url = reverse("accounts:accept_invitation", args=[invitations.make_token(invitation)])
    client_for(admin).post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    client.logout()
    response = client.get(url)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    response = client.post(url, {"first_name": "G", "password1": "x" * 12, "password2": "x" * 12})
    assert response.status_code == 410
    assert not User.objects.filter(email="gone@example.com").exists()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps({"id": 1, "email": "x@example.com"}),  # right shape, wrong salt
        signing.dumps([1, 2], salt=invitations.SALT),  # right salt, wrong shape
        signing.dumps({"id": 999_999, "email": "x@example.com"}, salt=invitations.SALT),
    ],
)
def test_forged_links_are_refused(client, db, token):
    response = client.get(reverse("accounts:accept_invitation", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_tampered_link_is_refused(org, admin, client):
    invitation = invitations.invite(org, "t@example.com", Role.BOARD, admin)
    token = invitations.make_token(invitation)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(reverse("accounts:accept_invitation", args=[tampered]))
    assert response.status_code == 400


def test_an_existing_account_logs_in_and_joins(org, other_org, admin, client):
    existing = make_member(other_org, Role.OWNER, "known@globex.test")
    invitation = invitations.invite(org, "Known@Globex.test", Role.PROCUREMENT, admin)
    url = reverse("accounts:accept_invitation", args=[invitations.make_token(invitation)])
    page = client.get(url).content.decode()
    assert "already has a Handover account" in page
    assert f"{reverse('accounts:login')}?next=" in page
    client.force_login(existing)
    assert "Join Acme" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "Welcome to Acme" in response.content.decode()
    assert existing.memberships.get(organisation=org).role == Role.PROCUREMENT
    # The new organisation is now the current one.
    assert response.context["current_organisation"] == org


def test_someone_else_logged_in_cannot_accept(org, admin, owner, client_for):
    invitation = invitations.invite(org, "someone@example.com", Role.BOARD, admin)
    url = reverse("accounts:accept_invitation", args=[invitations.make_token(invitation)])
    client = client_for(owner)
    assert "Log out, then open the link" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 409
    assert "This invitation is for someone@example.com" in response.content.decode()
    assert Invitation.objects.get().is_pending


def test_resend_sends_a_fresh_link(
    org, admin, client_for, mail_via_worker, django_capture_on_commit_callbacks
):
    invitation = invitations.invite(org, "again@example.com", Role.BOARD, admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=invitation.sent_at - timedelta(days=6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            reverse("accounts:invitation_resend", args=[invitation.pk]), follow=True
        )
    assert "A fresh invitation link went to again@example.com." in response.content.decode()
    assert len(mail_via_worker) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at > timezone.now() - timedelta(minutes=1)  # the clock restarted
    assert (
        invitations.invitation_from_token(
            path_of(link_in(mail_via_worker[0])).rstrip("/").rsplit("/", 1)[1]
        )
        == invitation
    )


def test_an_accepted_invitation_cannot_be_revoked_or_resent(org, admin, owner, client_for):
    invitation = invitations.invite(org, "done@example.com", Role.BOARD, admin)
    invitations.accept(
        invitation, None, create={"first_name": "D", "last_name": "", "password": "pw-long-1"}
    )
    client = client_for(admin)
    for name in ("accounts:invitation_revoke", "accounts:invitation_resend"):
        response = client.post(reverse(name, args=[invitation.pk]), follow=True)
        assert "no longer pending" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and invitation.accepted_at is not None


def test_invitation_of_another_organisation_cannot_be_revoked(client_for, other_org, admin):
    theirs = Invitation.objects.create(organisation=other_org, email="x@g.test", role="board")
    response = client_for(admin).post(reverse("accounts:invitation_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    assert Invitation.objects.get().is_pending


def test_a_resent_invitation_retires_the_earlier_link(org, admin):
    invitation = invitations.invite(org, "twice@example.com", Role.BOARD, admin)
    first = invitations.make_token(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=invitation.sent_at - timedelta(hours=1)
    )
    invitation.refresh_from_db()
    invitations.resend(invitation)
    latest = invitations.make_token(Invitation.objects.get(pk=invitation.pk))
    with pytest.raises(invitations.BadLink) as old:
        invitations.invitation_from_token(first)
    assert old.value.problem.title == "This link was replaced by a newer one"
    assert invitations.invitation_from_token(latest) == invitation
