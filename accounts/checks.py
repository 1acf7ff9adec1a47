"""System checks that keep access failing closed as apps and views are added.

E001: a routed view has no required permission (and is not on the public list).
E002: a model of ours declares neither a `Scope` nor why it needs none.
E003: a scoped model's default manager cannot `restrict()`.
E004: a scope names a permission that the role table does not have.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from .access import EXEMPT_NAMESPACES, PUBLIC_URL_NAMES
from .roles import PERMISSIONS
from .tenancy import Scope, TenantQuerySet

MISSING = object()


def project_models():
    """Models of the apps in this repository (not Django's or a library's)."""
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and ".venv" not in path.parts:
            for model in config.get_models():
                if not model._meta.auto_created:
                    yield model


def routes(resolver=None, namespace: str = "", prefix: str = ""):
    """(route, URL name, view) for every URL pattern, namespaces included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from routes(entry, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            # An unnamed pattern keeps its namespace ("admin:"), so exempt namespaces cover it.
            name = f"{namespace}:{entry.name or ''}" if namespace else entry.name
            yield prefix + str(entry.pattern), name, entry.callback


@checks.register(checks.Tags.security)
def check_models_declare_scope(app_configs=None, **kwargs):
    errors = []
    for model in project_models():
        label = model._meta.label
        scope = getattr(model, "scope", None)
        if not isinstance(scope, Scope):
            if not getattr(model, "tenancy_exempt", ""):
                errors.append(
                    checks.Error(
                        f"{label} declares no Scope, so nobody can reach its rows.",
                        hint="Derive from accounts.tenancy.TenantModel and set `scope = Scope(…)`"
                        " (see docs/architecture.md), or say in `tenancy_exempt` why it needs "
                        "none.",
                        obj=model,
                        id="accounts.E002",
                    )
                )
            continue
        if not isinstance(model._default_manager.all(), TenantQuerySet):
            errors.append(
                checks.Error(
                    f"{label}'s default manager is not a TenantQuerySet: it cannot restrict().",
                    obj=model,
                    id="accounts.E003",
                )
            )
        needed = [scope.permission("view")]
        if scope.internal:
            needed.append(scope.permission("view_internal"))
        errors.extend(
            checks.Error(
                f"{label}'s scope needs the permission {perm!r}, which accounts.roles lacks.",
                obj=model,
                id="accounts.E004",
            )
            for perm in needed
            if perm not in PERMISSIONS
        )
    return errors


@checks.register(checks.Tags.security, checks.Tags.urls)
def check_views_require_permission(app_configs=None, **kwargs):
    errors = []
    for route, name, view in routes():
        if name in PUBLIC_URL_NAMES or (name and name.split(":")[0] in EXEMPT_NAMESPACES):
            continue
        perm = getattr(view, "required_permission", MISSING)
        if perm is MISSING or perm is None:
            errors.append(
                checks.Error(
                    f"The view for /{route} ({name or 'unnamed'}) requires no permission.",
                    hint="Wrap it in accounts.access.member_required(perm), or add its URL name "
                    "to accounts.access.PUBLIC_URL_NAMES if anyone may reach it.",
                    obj=view,
                    id="accounts.E001",
                )
            )
        elif perm not in PERMISSIONS:
            errors.append(
                checks.Error(
                    f"The view for /{route} requires an unknown permission {perm!r}.",
                    obj=view,
                    id="accounts.E004",
                )
            )
    return errors
