"""Resolves the current organisation and membership for each request."""

from __future__ import annotations

SESSION_KEY = "organisation_id"


class OrganisationMiddleware:
    """Sets `request.memberships`, `request.membership` (or None) and `request.organisation`.

    The organisation is the one chosen in the session, else the user's first; one query.
    Permission checks happen in `accounts.access.member_required`, which every view uses.
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
                (m for m in request.memberships if m.organisation_id == chosen),
                request.memberships[0] if request.memberships else None,
            )
        request.organisation = request.membership.organisation if request.membership else None
        return self.get_response(request)
