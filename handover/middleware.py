"""Project-wide middleware."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers


class VaryOnHtmxMiddleware:
    """One URL answers with a full page or an htmx partial, so caches must key on HX-Request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


class PrivateResponsesMiddleware:
    """What a signed-in member sees — pages, fragments, PDFs — is theirs alone: never stored
    by a shared cache, nor by the browser for the next person at the same computer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
