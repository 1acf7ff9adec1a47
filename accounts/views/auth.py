"""Log-in, switching organisation, and password reset by e-mail (Django's own views, in our
templates, with links built from SITE_URL)."""

from __future__ import annotations

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from handover.htmx import invalid_form_status

from ..access import member_required
from ..forms import LoginForm, SwitchOrganisationForm
from ..middleware import remember


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Log out (a POST), and say so on the log-in page it lands on."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # After the session is flushed, so the message survives into the next page.
        messages.info(request, "You have logged out.")
        return response


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
    remember(request, target)
    messages.success(request, f"Now working in {target.organisation}.")
    return redirect("engagements:portfolio")


class UnprocessableOnInvalid:
    """Plain posts that fail validation answer 422, like every other form of ours."""

    def form_invalid(self, form):
        return self.render_to_response(
            self.get_context_data(form=form), status=invalid_form_status(self.request)
        )


class PasswordResetView(UnprocessableOnInvalid, auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self):
        # Links in mail point at the configured address, not whatever Host the request had.
        return {"site_url": settings.SITE_URL.rstrip("/")}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(UnprocessableOnInvalid, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # A new password ends a lock-out: that is what the lock-out page sends people here for.
        reset_lockout(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
