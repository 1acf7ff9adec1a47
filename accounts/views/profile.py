"""One's own profile: name, password, the organisation to open at log-in, API tokens."""

from __future__ import annotations

from copy import copy

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from handover.htmx import invalid_form_status

from ..access import member_required
from ..forms import DefaultOrganisationForm, NameForm

FORMS = ("name", "password", "default")


@member_required("profile.edit")
def profile(request):
    """Three small forms on one page; the posted one says which in `form`."""
    user = request.user
    posted = request.POST.get("form") if request.method == "POST" else None
    default = next((m for m in request.memberships if m.is_default), None)
    forms = {
        # A copy: a refused name must not show up in the page's header as if saved.
        "name": NameForm(request.POST if posted == "name" else None, instance=copy(user)),
        "password": PasswordChangeForm(user, request.POST if posted == "password" else None),
        "default": DefaultOrganisationForm(
            request.POST if posted == "default" else None,
            memberships=request.memberships,
            initial={"organisation": default.organisation_id if default else ""},
        ),
    }
    # Django's form focuses the old password: not what a profile page should open on.
    forms["password"].fields["old_password"].widget.attrs.pop("autofocus", None)
    if posted in FORMS and forms[posted].is_valid():
        form = forms[posted]
        if posted == "name":
            # Only the name: a password changed or an account disabled meanwhile stays so.
            form.instance.save(update_fields=list(form.fields))
            messages.success(request, "Your name is saved.")
        elif posted == "password":
            form.save()
            update_session_auth_hash(request, form.user)  # stay logged in here
            messages.success(request, "Your password is changed.")
        else:
            _set_default(request, form.cleaned_data["organisation"])
        return redirect("accounts:profile")
    try:
        tokens_url = reverse("tokens:list")
    except NoReverseMatch:  # the API tokens page is not installed
        tokens_url = None
    status = invalid_form_status(request) if posted else 200
    if posted and posted not in FORMS:
        messages.error(request, "That form is not on this page.")
    context = {
        "name_form": forms["name"],
        "password_form": forms["password"],
        "default_form": forms["default"],
        "tokens_url": tokens_url,
    }
    return render(request, "accounts/profile.html", context, status=status)


def _set_default(request, organisation_id: int | None) -> None:
    mine = request.user.memberships.all()  # one's own, in every organisation
    with transaction.atomic():
        mine.filter(is_default=True).update(is_default=False)
        if organisation_id is not None:
            mine.filter(organisation_id=organisation_id).update(is_default=True)
    if organisation_id is None:
        messages.success(request, "You will start in the organisation you used last.")
    else:
        name = next(
            m.organisation.name for m in request.memberships if m.organisation_id == organisation_id
        )
        messages.success(request, f"You will start in {name} after logging in.")
