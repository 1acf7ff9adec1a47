"""The one `NinjaAPI`, mounted at /api/: authentication, JSON errors, docs, and the routers the
apps declare.

Each app that has routes declares them in its own `api.py` as a ninja `Router` named `router`,
mounted at /api/<app label>/. This app finds them with `autodiscover_modules("api")`, the way
the admin finds `admin.py`, so it imports no app of ours.
"""

from __future__ import annotations

import sys
from functools import cache, wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.urls import URLPattern, path, re_path, reverse
from django.utils.module_loading import autodiscover_modules
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from accounts.access import member_required

from .auth import SessionAuth, TokenAuth

DESCRIPTION = """Handover's JSON API. Authenticate with a personal API token
(`Authorization: Bearer hov_…`, created on your profile's API tokens page) or, from a browser,
with your session (writes then need the `X-CSRFToken` header). A token acts as you, in the one
organisation it was created in. Fields your role may not read (an engagement's budget, a
decision's rationale) are absent from responses, not null. Errors are JSON:
`{"detail": "…"}`, or a list of field errors with a 422."""


class Docs(Swagger):
    """Swagger UI from ninja's bundled static files (no CDN), in our page: it sets the language
    and, like ninja's, keeps its settings in a JSON data block and its code in static files, so
    the strict CSP (script-src 'self', no inline code) holds."""

    template = "api/docs.html"


def project_app_configs():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        location = Path(config.path).resolve()
        if base in location.parents and ".venv" not in location.parts:
            yield config


def discovered_routers():
    """(app label, router) for each app of ours whose `api.py` declares a `router`."""
    autodiscover_modules("api")
    for config in project_app_configs():
        # By module name: the api app itself is the package `api`, and has no `api.api`.
        router = getattr(sys.modules.get(f"{config.name}.api"), "router", None)
        if isinstance(router, Router):
            yield config.label, router


def error(api: NinjaAPI, request, status: int, detail):
    return api.create_response(request, {"detail": detail}, status=status)


def add_error_handlers(api: NinjaAPI) -> None:
    """Every refusal is JSON with a 4xx status and a reason a client can act on."""

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = exc.message
        if message == "Unauthorized":  # ninja's default: neither a token nor a session
            message = "Authentication required: send 'Authorization: Bearer <token>' or log in."
        response = error(api, request, 401, message)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return error(api, request, exc.status_code, exc.message)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return error(api, request, 403, str(exc) or "You may not do this.")

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error(api, request, 404, "Not found.")

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        return error(api, request, 422, exc.errors)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return error(api, request, 413, "The request body is too large.")


class Api(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts) -> ValidationError:
        """A route's one body schema IS the body (ninja reads it unwrapped), yet ninja puts the
        view's parameter name in each error's place: ["body", "report", "hours"] for a body
        with no `report` key. Leave it out: ["body", "hours"]."""
        error = super().validation_error_from_error_contexts(error_contexts)
        names = {
            getattr(context.model, "__read_from_single_attr__", None)
            for context in error_contexts
            if context.model.__ninja_param_source__ == "body"
        } - {None}
        for item in error.errors:
            loc = tuple(item["loc"])
            if len(loc) > 1 and loc[0] == "body" and loc[1] in names:
                item["loc"] = (loc[0], *loc[2:])
        return error


def build_api() -> NinjaAPI:
    api = Api(
        title="Handover API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        auth=[TokenAuth(), SessionAuth()],
        docs=Docs(),
        docs_url="/docs",
        openapi_url="/openapi.json",
        # The description and docs are for members; the routes check their own permissions.
        docs_decorator=member_required("api.docs"),
    )
    add_error_handlers(api)
    for label, router in discovered_routers():
        api.add_router(f"/{label}", router)
    return api


@cache
def get_api() -> NinjaAPI:
    """The process's API, built once (ninja freezes routers when its URLs are generated)."""
    return build_api()


def api_index(request):
    return JsonResponse(
        {"docs": reverse("api:openapi-view"), "openapi": reverse("api:openapi-json")}
    )


def no_such_route(request, path=""):
    """Any other URL under /api/ answers in JSON too."""
    return JsonResponse({"detail": "No such API route: see /api/docs."}, status=404)


def json_405(view):
    """Ninja answers a method a route does not take with a plain-text 405: make it JSON."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        allowed = response.get("Allow", "")
        refusal = JsonResponse(
            {"detail": f"Method {request.method} is not allowed here (allowed: {allowed})."},
            status=405,
        )
        refusal["Allow"] = allowed
        return refusal

    return wrapper


def api_urls():
    """For the root URLconf: `path("api/", api_urls())`."""
    patterns, app_name, namespace = get_api().urls
    # Ninja's root page is a 404 in HTML: point at the description instead.
    patterns = [
        URLPattern(p.pattern, json_405(p.callback), p.default_args, p.name)
        for p in patterns
        if p.name != "api-root"
    ]
    root = path("", api_index, name="api-root")
    # The catch-all comes last, so every route above wins; it also keeps APPEND_SLASH from
    # redirecting API calls.
    return [*patterns, root, re_path(r"^(?P<path>.*)$", no_such_route)], app_name, namespace
