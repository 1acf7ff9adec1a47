from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .access import member_required
from .forms import LoginForm, SwitchOrganisationForm
from .middleware import SESSION_KEY


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@require_POST
@member_required("profile.edit")
def switch_organisation(request):
    """Make another of the user's organisations the current one (only one they belong to)."""
    form = SwitchOrganisationForm(request.POST)
    target = None
    if form.is_valid():
        target = next(
            (
                m
                for m in request.memberships
                if m.organisation_id == form.cleaned_data["organisation"]
            ),
            None,
        )
    if target is None:
        messages.error(request, "You are not a member of that organisation.")
        return redirect("engagements:portfolio")
    request.session[SESSION_KEY] = target.organisation_id
    messages.success(request, f"Now working in {target.organisation}.")
    return redirect("engagements:portfolio")
