"""Accepting an invitation: a public page (the invitee may have no account yet). The signed
link is the credential; `accounts.invitations` checks it and accepts it once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render

from handover.htmx import invalid_form_status

from .. import invitations as invites
from ..forms import AcceptInvitationForm
from ..middleware import remember

BACKEND = "django.contrib.auth.backends.ModelBackend"


def accept_invitation(request, token):
    try:
        invitation = invites.invitation_from_token(token)
    except invites.BadLink as exc:
        return _problem(request, exc.problem)

    context = {"invitation": invitation, "organisation": invitation.organisation}
    if request.user.is_authenticated:
        # An existing account, logged in: one click to join (if it is the invited address).
        if request.method == "POST":
            try:
                user, membership = invites.accept(invitation, request.user)
            except invites.BadLink as exc:
                return _problem(request, exc.problem)
            except invites.InvitationError as exc:
                context["error"] = str(exc)
                return render(request, "accounts/invitation_join.html", context, status=409)
            return _welcome(request, membership)
        context["wrong_account"] = (
            invites.normalise_email(request.user.email or request.user.get_username())
            != invitation.email
        )
        return render(request, "accounts/invitation_join.html", context)

    if invites.find_user(invitation.email) is not None:
        # The address has an account: log in first, and come back here to accept.
        return render(request, "accounts/invitation_log_in.html", context)

    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user, membership = invites.accept(
                invitation,
                None,
                create={
                    "first_name": form.cleaned_data["first_name"],
                    "last_name": form.cleaned_data["last_name"],
                    "password": form.cleaned_data["password1"],
                },
            )
        except invites.BadLink as exc:
            return _problem(request, exc.problem)
        except invites.InvitationError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend=BACKEND)
            return _welcome(request, membership)
    status = invalid_form_status(request) if request.method == "POST" else 200
    return render(
        request, "accounts/invitation_sign_up.html", context | {"form": form}, status=status
    )


def _welcome(request, membership):
    remember(request, membership)
    messages.success(
        request,
        f"Welcome to {membership.organisation}: you are a member as "
        f"{membership.get_role_display()}.",
    )
    return redirect("engagements:portfolio")


def _problem(request, problem):
    return render(
        request, "accounts/invitation_problem.html", {"problem": problem}, status=problem.status
    )
