"""The organisation's activity page, for org admins."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render

from accounts.access import member_required

from .feed import Feed, build_feed, parse_cursor
from .models import audited_history_models


def feed_page(request, querysets) -> Feed:
    """The page of `querysets`' feed that the `before` parameter asks for (the newest when it
    is absent, or not a position this page gave out)."""
    try:
        before = parse_cursor(request.GET.get("before"))
    except ValueError:
        messages.warning(request, "That link to older changes is not valid: showing the latest.")
        before = None
    return build_feed(request.membership, querysets, before=before)


@member_required("audit.view_all")
def organisation_activity(request):
    """Every audited change in the organisation, newest first."""
    feed = feed_page(request, [model.objects.all() for model in audited_history_models()])
    context = {"feed": feed, "title": f"Activity in {request.organisation}", "show_context": True}
    return render(request, "audit/activity.html", context)
