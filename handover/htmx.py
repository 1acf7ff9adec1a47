"""The one place that decides between a full page and an htmx partial."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.template.loader import render_to_string


def render_page(request, template: str, context: dict, *, partial: str = "", status: int = 200):
    """Render `template`, or only its `{% partialdef partial %}` when htmx asked for it.

    The same view thus serves the page (plain GET, no JavaScript) and the fragment htmx
    swaps in; `VaryOnHtmxMiddleware` keeps caches from mixing the two up. Flash messages
    queued for an htmx request ride along as an out-of-band swap of the page's #messages.
    """
    if not (request.htmx and partial):
        return render(request, template, context, status=status)
    response = render(request, f"{template}#{partial}", context, status=status)
    if len(messages.get_messages(request)):
        response.write(render_to_string("includes/messages.html", {"oob": True}, request))
    return response


def message_fragment(request, text: str, *, level: str = "error"):
    """An answer to an htmx request that only shows `text` where messages appear: status 200
    retargeted at #messages, because htmx swaps only 2xx and browsers log a 4xx as a console
    error. Plain requests get proper 4xx pages elsewhere; this is the htmx face of them."""
    messages.add_message(request, messages.ERROR if level == "error" else messages.INFO, text)
    response = render(request, "includes/messages.html")
    response["HX-Retarget"] = "#messages"
    response["HX-Reswap"] = "outerHTML"
    return response


def invalid_form_status(request) -> int:
    """The status for a posted form that did not validate.

    Plain posts get 422, so scripts and tests can tell; htmx gets 200 with the errors in the
    fragment it swaps, because browsers log every 4xx fetch as a console error.
    """
    return 200 if request.htmx else 422
