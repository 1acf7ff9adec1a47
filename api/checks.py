"""api.E001: an API operation declares no permission (mirrors accounts.E001 for pages).

The JSON API's URLs are exempt from accounts.E001 (`EXEMPT_NAMESPACES`) because one URL serves
several operations, each with its own permission: this check looks at the operations."""

from __future__ import annotations

from django.core import checks

from accounts.roles import PERMISSIONS


def operations(api):
    """(path, methods, operation) for every operation of `api`, nested routers included."""
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            route = "/".join(part.strip("/") for part in (bound.prefix, path) if part.strip("/"))
            for operation in path_view.operations:
                yield route, operation.methods, operation


def check_operations_require_permission(api=None):
    if api is None:
        from .site import get_api

        api = get_api()
    errors = []
    for route, methods, operation in operations(api):
        where = f"{', '.join(methods)} /api/{route}"
        perm = getattr(operation.view_func, "required_permission", None)
        if perm is None:
            errors.append(
                checks.Error(
                    f"The API operation {where} ({operation.view_func.__qualname__}) requires "
                    "no permission.",
                    hint='Decorate it with api.access.requires("<resource>.<action>") under the '
                    "router's decorator.",
                    obj=operation.view_func,
                    id="api.E001",
                )
            )
        elif perm not in PERMISSIONS:
            errors.append(
                checks.Error(
                    f"The API operation {where} requires an unknown permission {perm!r}.",
                    obj=operation.view_func,
                    id="api.E002",
                )
            )
    return errors


@checks.register(checks.Tags.security, checks.Tags.urls)
def check_api_operations(app_configs=None, **kwargs):
    return check_operations_require_permission()
