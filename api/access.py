"""Every API route declares the permission it needs: `@requires("engagement.view")`, under the
router's decorator. It checks the acting member's role (403 with the reason) and records the
permission on the view function, where the system check `api.E001` looks for it."""

from __future__ import annotations

from functools import wraps
from typing import Annotated

from ninja import Path

from accounts.access import check_permission
from accounts.roles import PERMISSIONS

# A database id in a URL: anything else (0, negative, beyond 64 bits) is a 422, not a query.
ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def requires(perm: str):
    """Refuse the route unless the acting member's role holds `perm`."""
    if perm not in PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            check_permission(request.membership, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm
        return wrapper

    return decorator
