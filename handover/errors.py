"""Error pages that also make sense inside an htmx swap, and a quieter 403 in the log."""

from __future__ import annotations

import logging

from django.shortcuts import render

from .htmx import message_fragment


def permission_denied(request, exception=None):
    """403: a page for a plain request; for htmx, the reason shown where messages appear
    (htmx swaps only 2xx, and a 4xx would also land in the browser console as an error)."""
    reason = str(exception) if exception and str(exception) else "Your role does not allow this."
    if getattr(request, "htmx", False):
        return message_fragment(request, reason, level="error")
    return render(request, "403.html", {"exception": reason}, status=403)


def csrf_failure(request, reason=""):
    """A post whose CSRF check failed: most often a page left open across a log-out or log-in
    elsewhere. Logged out (cookies cleared, session gone): to log-in and back, as any post made
    while logged out. Otherwise say what to do, in place for htmx."""
    # Imported here: the logging configuration loads this module before the apps are ready.
    from accounts.access import login_redirect

    if not request.user.is_authenticated:
        return login_redirect(request)
    message = "This page is out of date (you logged out or in elsewhere): reload it and try again."
    if getattr(request, "htmx", False):
        return message_fragment(request, message, level="error")
    return render(request, "403.html", {"exception": message}, status=403)


def page_not_found(request, exception=None):
    if getattr(request, "htmx", False):
        reason = "That is no longer here: it was removed, or you no longer have access to it."
        return message_fragment(request, reason, level="error")
    return render(request, "404.html", status=404)


class NoTracebackForClientErrors(logging.Filter):
    """A refused request (4xx) is the client's business, not a bug: log one line at warning
    level, without the traceback Django attaches to PermissionDenied."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True
