"""The API tokens page: a member's own tokens in the current organisation. A new token's secret
is shown once, in the response to the POST that created it, and never stored."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from accounts.access import member_required

from .forms import TokenForm
from .models import ApiToken

ONCE = "api_token_form_once"


def _tokens_page(request, form, secret=None, created=None, status=200):
    tokens = ApiToken.objects.owned_by(request.membership)
    if not form.is_bound:
        request.session[ONCE] = form.initial["once"] = secrets.token_urlsafe(16)
    context = {"tokens": tokens, "form": form, "secret": secret, "created": created}
    return render(request, "api/tokens.html", context, status=status)


@never_cache
@member_required("profile.edit")
def token_list(request):
    """List the member's tokens; a POST creates one and shows its secret this once."""
    if request.method != "POST":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=422)
    if not form.cleaned_data["once"] or form.cleaned_data["once"] != request.session.pop(
        ONCE, None
    ):
        messages.info(
            request,
            "That form was already sent (a reload?): its token was made once, and its secret "
            "was shown then. No second token was made.",
        )
        return redirect("tokens:list")
    token, secret = ApiToken.issue(request.membership, form.cleaned_data["name"])
    return _tokens_page(request, TokenForm(), secret=secret, created=token)


@member_required("profile.edit")
def token_revoke(request, pk):
    """Confirm, then revoke one of the member's own active tokens."""
    token = get_object_or_404(ApiToken.objects.owned_by(request.membership).active(), pk=pk)
    if request.method == "POST":
        token.revoke()
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
        return redirect("tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})
