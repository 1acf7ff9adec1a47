"""Project-wide middleware."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve
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


class RequestSizeLimitMiddleware:
    """Refuse a request whose body is larger than an upload may be (plus room for the form
    around it), from its Content-Length, before anything reads it: nobody streams gigabytes
    into a temporary file only to be told afterwards. The proxy in front refuses them too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = (settings.MAX_UPLOAD_MB + 1) * 1024 * 1024
        if length > limit:
            return HttpResponse(
                f"That is more than we accept: files may be {settings.MAX_UPLOAD_MB} MB at most.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class PostOnlyAddressMiddleware:
    """An address that only takes form posts, opened directly (a reload after a refused post,
    a bookmark, the history) answers Chrome's bare "HTTP ERROR 405" page. Send the person to
    the nearest page above it instead — the page the form lives on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        navigating = "text/html" in request.headers.get("Accept", "")
        if response.status_code != 405 or request.method != "GET" or request.htmx:
            return response
        if not navigating:  # a script or client asking: the 405 is the honest answer
            return response
        path = request.path
        while path.count("/") > 1:
            path = path.rstrip("/").rsplit("/", 1)[0] + "/"
            try:
                match = resolve(path)
            except Resolver404:
                continue
            if getattr(match.func, "required_permission", None) is not None:
                return HttpResponseRedirect(path)
        return response
