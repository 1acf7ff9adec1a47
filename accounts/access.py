"""The one access mechanism: every view is wrapped in `member_required(perm)`, and every
object is fetched through `get_scoped`, so another organisation's object is a 404 and a
too-weak role is a 403 — without a check repeated in each view."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .roles import PERMISSIONS


def member_required(perm: str):
    """Require a logged-in member of the current organisation whose role holds `perm`."""
    if perm not in PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if membership is None:
                raise PermissionDenied("You are not a member of any organisation yet.")
            if not membership.can(perm):
                raise PermissionDenied(
                    f"Your role in {membership.organisation} "
                    f"({membership.get_role_display()}) does not allow this."
                )
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm
        return wrapper

    return decorator


def get_scoped(request, queryset, **lookup):
    """Fetch one object visible to the current membership, or 404.

    `queryset` must offer `for_membership` (see `OrganisationScopedQuerySet`), so scoping
    cannot be forgotten: an unscoped queryset fails loudly here rather than leaking.
    """
    if not hasattr(queryset, "for_membership"):
        raise TypeError(f"{queryset.model.__name__} has no for_membership(): it cannot be scoped")
    return get_object_or_404(queryset.for_membership(request.membership), **lookup)
