"""Resolves the current organisation and membership for each request."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone as django_timezone

SESSION_KEY = "organisation_id"
NEVER = datetime.min.replace(tzinfo=UTC)


def opening_membership(memberships):
    """The membership to open when the session has chosen none: the user's default, else
    the one they used last, else the first (by organisation name)."""
    if not memberships:
        return None
    default = next((m for m in memberships if m.is_default), None)
    if default is not None:
        return default
    last_used = max(memberships, key=lambda m: m.last_used_at or NEVER)
    return last_used if last_used.last_used_at else memberships[0]


def remember(request, membership) -> None:
    """Open `membership` for the rest of the session and remember it as the last used."""
    from .models import Membership

    request.session[SESSION_KEY] = membership.organisation_id
    membership.last_used_at = django_timezone.now()
    Membership.objects.filter(pk=membership.pk).update(last_used_at=membership.last_used_at)


@receiver(user_logged_in, dispatch_uid="accounts.open_organisation_at_log_in")
def open_organisation_at_log_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    memberships = list(user.memberships.select_related("organisation"))
    membership = opening_membership(memberships)
    if membership is not None:
        remember(request, membership)


class OrganisationMiddleware:
    """Sets `request.memberships`, `request.membership` (or None) and `request.organisation`.

    The organisation is the one chosen in the session (at log-in or by switching), else the
    user's default, else the last used, else the first; one query. Permission checks happen
    in `accounts.access.member_required`, which every view uses.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        if request.user.is_authenticated:
            request.memberships = list(request.user.memberships.select_related("organisation"))
            chosen = request.session.get(SESSION_KEY)
            request.membership = next(
                (m for m in request.memberships if m.organisation_id == chosen), None
            ) or opening_membership(request.memberships)
        request.organisation = request.membership.organisation if request.membership else None
        return self.get_response(request)
