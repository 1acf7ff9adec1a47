"""Changing a member's role and removing a member, without ever leaving an organisation
with no admin.

Both lock the organisation's row, then re-read its admins, the actor and the target inside
the transaction: two admins demoting each other at the same moment are serialised, and the
second finds they are no longer an admin. On SQLite, IMMEDIATE transactions serialise writers
from the start; on PostgreSQL, `select_for_update` does.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from .models import Membership, Organisation
from .roles import Role
from .templatetags.people import person


class MemberError(Exception):
    """The change is refused; the message says why, to the admin who tried."""


def _lock(actor: Membership, target_pk: int) -> tuple[Membership, Membership, int]:
    """(actor, target, number of admins), re-read after locking the organisation's row, so
    every role change and removal in one organisation runs one after the other. Refuses an
    actor who is no longer allowed to manage members."""
    Organisation.objects.select_for_update().filter(pk=actor.organisation_id).first()
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("user", "organisation")
        .filter(organisation_id=actor.organisation_id)
        .filter(Q(role=Role.ADMIN) | Q(pk__in=[actor.pk, target_pk]))
        .order_by("pk")
    }
    fresh_actor = rows.get(actor.pk)
    if fresh_actor is None or not fresh_actor.can("member.manage"):
        raise MemberError("You are no longer an admin of this organisation.")
    target = rows.get(target_pk)
    if target is None:
        raise MemberError("That person is no longer a member of this organisation.")
    admins = sum(1 for m in rows.values() if m.role == Role.ADMIN)
    return fresh_actor, target, admins


def _refuse_losing_an_admin(actor: Membership, target: Membership, admins: int, what: str):
    """The last admin stays; and nobody demotes or removes themselves (another admin must),
    so an organisation cannot lock itself out by a slip of the mouse."""
    if target.role == Role.ADMIN and admins <= 1:
        who = "You are" if target.pk == actor.pk else f"{person(target.user)} is"
        raise MemberError(
            f"{who} the last admin of {target.organisation}: make someone else an admin first."
        )
    if target.pk == actor.pk:
        raise MemberError(f"You cannot {what}: ask another admin to do it.")


def change_role(actor: Membership, target_pk: int, role: str) -> Membership:
    if role not in Role.values:
        raise MemberError("Choose one of the roles in the list.")
    with transaction.atomic():
        actor, target, admins = _lock(actor, target_pk)
        if target.role == role:
            return target
        _refuse_losing_an_admin(actor, target, admins, "change your own role")
        target.role = role
        target.save(update_fields=["role"])
        if role != Role.VENDOR:
            # Assignments mean nothing to an internal role, and must not come back to life
            # if the member is made a vendor contact again later.
            target.assigned_engagements.clear()
    return target


def remove(actor: Membership, target_pk: int) -> Membership:
    """Delete the membership, never the user: their decisions and reports stay theirs."""
    with transaction.atomic():
        actor, target, admins = _lock(actor, target_pk)
        _refuse_losing_an_admin(actor, target, admins, "remove yourself")
        target.delete()
    return target
