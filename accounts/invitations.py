"""Invitations: who may be invited, the signed link, and accepting it exactly once.

The link carries `signing.dumps({"id", "email", "sent"})` with a salt; it expires after
INVITATION_MAX_AGE (the signature's own timestamp), only the latest link sent works (a resend
retires the earlier ones: "sent" must match the invitation's `sent_at`), and it works once:
acceptance sets `accepted_at` under a row lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Invitation, Membership, Organisation
from .roles import Role
from .templatetags.people import person

SALT = "accounts.invitation"


class InvitationError(Exception):
    """The invitation cannot be made, or this link cannot be used; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str):
    """The account registered under `email` (case-insensitive), or None."""
    User = get_user_model()
    return (
        User.objects.filter(email__iexact=email).order_by("id").first()
        or User.objects.filter(username__iexact=email).order_by("id").first()
    )


def is_member(organisation_id: int, email: str) -> bool:
    return Membership.objects.filter(
        Q(user__email__iexact=email) | Q(user__username__iexact=email),
        organisation_id=organisation_id,
    ).exists()


def invite(organisation: Organisation, email: str, role: str, invited_by) -> Invitation:
    """A new pending invitation, refused when the address is already a member or invited."""
    email = normalise_email(email)
    if role not in Role.values:
        raise InvitationError(f"“{role}” is not a role: choose one from the list.")
    if is_member(organisation.pk, email):
        raise InvitationError(f"{email} is already a member of {organisation}.")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation, email=email, role=role, invited_by=invited_by
            )
    except IntegrityError as exc:
        # The partial unique constraint: one pending invitation per address.
        raise InvitationError(
            f"{email} already has a pending invitation: resend it from the list below."
        ) from exc
    return invitation


def make_token(invitation: Invitation) -> str:
    return signing.dumps(
        {"id": invitation.pk, "email": invitation.email, "sent": _sent(invitation)}, salt=SALT
    )


def _sent(invitation: Invitation) -> int:
    """When the link was sent, to the microsecond (what the database keeps), so a link sent a
    moment before a resend is still told apart."""
    sent = invitation.sent_at
    return int(sent.timestamp()) * 1_000_000 + sent.microsecond


def link(invitation: Invitation) -> str:
    path = reverse("accounts:accept_invitation", args=[make_token(invitation)])
    return settings.SITE_URL.rstrip("/") + path


def send(invitation: Invitation) -> None:
    """Mail the invitation (queued for the worker once the transaction commits)."""
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "inviter": invitation.invited_by,
        "link": link(invitation),
        "days": settings.INVITATION_MAX_AGE.days,
    }
    message = EmailMultiAlternatives(
        subject=f"You are invited to {invitation.organisation} on Handover",
        body=render_to_string("accounts/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.send()


def _lock_pending(invitation: Invitation) -> Invitation:
    """The invitation's row, locked and re-read; refused once accepted or revoked."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_pending:
        raise InvitationError(f"The invitation to {locked.email} is no longer pending.")
    return locked


def resend(invitation: Invitation) -> Invitation:
    """Send a fresh link for a pending invitation (the clock restarts)."""
    with transaction.atomic():
        locked = _lock_pending(invitation)
        locked.sent_at = timezone.now()
        locked.save(update_fields=["sent_at"])
        locked.organisation = invitation.organisation
        locked.invited_by = invitation.invited_by
        send(locked)
    return locked


def revoke(invitation: Invitation) -> Invitation:
    with transaction.atomic():
        locked = _lock_pending(invitation)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


@dataclass(frozen=True)
class LinkProblem:
    """Why a link cannot be used, for the page the invitee sees."""

    title: str
    message: str
    status: int


class BadLink(Exception):
    """This link cannot be used; `problem` says why, and with which status."""

    def __init__(self, problem: LinkProblem):
        super().__init__(problem.message)
        self.problem = problem


FORGED = LinkProblem(
    "This invitation link is not valid",
    "The link is incomplete or has been altered. Copy the whole link from the e-mail, or ask "
    "the person who invited you to send it again.",
    400,
)

REPLACED = LinkProblem(
    "This link was replaced by a newer one",
    "The invitation was sent again, and only the latest e-mail's link works. Open that one, or "
    "ask the organisation's admin to send it again.",
    410,
)


def _expired(invitation: Invitation | None) -> LinkProblem:
    who = f" ({person(invitation.invited_by)})" if invitation and invitation.invited_by else ""
    return LinkProblem(
        "This invitation has expired",
        f"Invitation links are valid for {settings.INVITATION_MAX_AGE.days} days. Ask the "
        f"person who invited you{who} to resend it.",
        410,
    )


def problem_with(invitation: Invitation) -> LinkProblem | None:
    if invitation.accepted_at is not None:
        return LinkProblem(
            "This invitation has already been used",
            f"It was accepted on {timezone.localtime(invitation.accepted_at):%d %B %Y}. "
            "Log in to reach the organisation.",
            410,
        )
    if invitation.revoked_at is not None:
        return LinkProblem(
            "This invitation was withdrawn",
            "An admin of the organisation withdrew it. Ask them for a new invitation.",
            410,
        )
    return None


def invitation_from_token(token: str) -> Invitation:
    """The invitation behind a link, raising `BadLink` with what to tell the invitee."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.INVITATION_MAX_AGE.total_seconds())
    except signing.SignatureExpired as exc:
        # The signature is genuine, only old: say whom to ask (or that it was used anyway).
        invitation = _lookup(signing.loads(token, salt=SALT))
        problem = (invitation and problem_with(invitation)) or _expired(invitation)
        raise BadLink(problem) from exc
    except signing.BadSignature as exc:
        raise BadLink(FORGED) from exc
    invitation = _lookup(data)
    if invitation is None:
        raise BadLink(FORGED)
    problem = problem_with(invitation)
    if problem:
        raise BadLink(problem)
    if data.get("sent") != _sent(invitation):
        raise BadLink(REPLACED)
    return invitation


def _lookup(data) -> Invitation | None:
    if not (isinstance(data, dict) and isinstance(data.get("id"), int)):
        return None
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=data["id"], email=data.get("email"))
        .first()
    )


def accept(invitation: Invitation, user, *, create: dict | None = None):
    """Accept `invitation` once, as `user` — or, with `create` (first_name, last_name,
    password), as a new account for the invited address. Returns (user, membership).

    The row lock and the re-read make a second acceptance (a double click, two tabs) fail
    with a clear message instead of a second account or membership.
    """
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side of the join to invited_by.
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organisation", "invited_by")
            .get(pk=invitation.pk)
        )
        problem = problem_with(locked)
        if problem:
            raise BadLink(problem)
        if create is not None:
            if find_user(locked.email) is not None:
                raise InvitationError(
                    f"An account for {locked.email} already exists: log in to accept."
                )
            try:
                with transaction.atomic():
                    user = get_user_model().objects.create_user(
                        username=locked.email,
                        email=locked.email,
                        password=create["password"],
                        first_name=create.get("first_name", ""),
                        last_name=create.get("last_name", ""),
                    )
            except IntegrityError as exc:  # the same address registered a moment ago
                raise InvitationError(
                    f"An account for {locked.email} already exists: log in to accept."
                ) from exc
        elif normalise_email(user.email or user.get_username()) != locked.email:
            raise InvitationError(
                f"This invitation is for {locked.email}; you are logged in as "
                f"{user.email or user.get_username()}. Log out and open the link again."
            )
        membership = Membership.objects.filter(
            user=user, organisation_id=locked.organisation_id
        ).first()
        if membership is None:
            membership = Membership.objects.create(
                user=user, organisation=locked.organisation, role=locked.role
            )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return user, membership
