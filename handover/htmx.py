"""The one place that decides between a full page and an htmx partial."""

from __future__ import annotations

from django.shortcuts import render


def render_page(request, template: str, context: dict, *, partial: str = "", status: int = 200):
    """Render `template`, or only its `{% partialdef partial %}` when htmx asked for it.

    The same view thus serves the page (plain GET, no JavaScript) and the fragment htmx
    swaps in; `VaryOnHtmxMiddleware` keeps caches from mixing the two up.
    """
    if request.htmx and partial:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)
