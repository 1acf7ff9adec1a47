"""The members page: who is in the organisation, their roles, and pending invitations.
Org admins only ("member.manage"); every query goes through `restrict`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from handover.htmx import invalid_form_status, render_page

from .. import invitations as invites
from ..access import get_scoped, member_required
from ..forms import InvitationForm, RoleForm
from ..members import MemberError, change_role, remove
from ..models import Invitation, Membership
from ..roles import Role
from ..templatetags.people import person

TEMPLATE = "accounts/members.html"


def _context(request, *, invite_form=None, error: str = "") -> dict:
    members = (
        Membership.objects.restrict(request.membership, "manage")
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email", "pk")
    )
    pending = (
        Invitation.objects.restrict(request.membership, "manage")
        .pending()
        .select_related("invited_by")
    )
    return {
        "members": members,
        "invitations": pending,
        "invite_form": invite_form or InvitationForm(),
        "roles": Role.choices,
        "error": error,
        "now": timezone.now(),
        "invitation_days": settings.INVITATION_MAX_AGE.days,
    }


@member_required("member.manage")
def member_list(request):
    return render(request, TEMPLATE, _context(request))


@require_POST
@member_required("member.manage")
def member_role(request, pk):
    """Change a member's role; htmx swaps the members table, plain posts redirect."""
    member = get_scoped(request, Membership.objects.select_related("user"), "manage", pk=pk)
    form = RoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = " ".join(form.errors["role"])
    else:
        try:
            updated = change_role(request.membership, member.pk, form.cleaned_data["role"])
        except MemberError as exc:
            error = str(exc)
        else:
            messages.success(request, f"{person(member.user)} is now {updated.get_role_display()}.")
            if not request.htmx:
                return redirect("accounts:members")
    status = invalid_form_status(request) if error else 200
    return render_page(
        request, TEMPLATE, _context(request, error=error), partial="members", status=status
    )


@member_required("member.manage")
def member_remove(request, pk):
    """GET asks for confirmation; POST deletes the membership (never the person's records)."""
    member = get_scoped(
        request, Membership.objects.select_related("user", "organisation"), "manage", pk=pk
    )
    if request.method == "POST":
        try:
            remove(request.membership, member.pk)
        except MemberError as exc:
            return render(
                request,
                "accounts/member_remove.html",
                {"member": member, "error": str(exc)},
                status=409,
            )
        messages.success(
            request, f"{person(member.user)} no longer belongs to {member.organisation}."
        )
        return redirect("accounts:members")
    return render(request, "accounts/member_remove.html", {"member": member})


@require_POST
@member_required("member.manage")
def invite(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                invitation = invites.invite(
                    request.organisation,
                    form.cleaned_data["email"],
                    form.cleaned_data["role"],
                    invited_by=request.user,
                )
                invites.send(invitation)
        except invites.InvitationError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email} as {invitation.get_role_display()}.",
            )
            return redirect("accounts:members")
    return render(
        request, TEMPLATE, _context(request, invite_form=form), status=invalid_form_status(request)
    )


@require_POST
@member_required("member.manage")
def invitation_resend(request, pk):
    invitation = get_scoped(
        request, Invitation.objects.select_related("organisation", "invited_by"), "manage", pk=pk
    )
    try:
        invites.resend(invitation)
    except invites.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A fresh invitation link went to {invitation.email}.")
    return redirect("accounts:members")


@require_POST
@member_required("member.manage")
def invitation_revoke(request, pk):
    invitation = get_scoped(request, Invitation.objects, "manage", pk=pk)
    try:
        invites.revoke(invitation)
    except invites.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("accounts:members")
