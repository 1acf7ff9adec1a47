"""Roles and what each may do. The single table every permission check reads."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Org admin"
    OWNER = "owner", "CTO / VP Engineering"
    PROCUREMENT = "procurement", "Procurement"
    BOARD = "board", "Board member"
    VENDOR = "vendor", "Vendor contact"


ALL = frozenset(Role)
INTERNAL = ALL - {Role.VENDOR}

PERMISSIONS: dict[str, frozenset[Role]] = {
    # Vendor contacts see only the engagements they are assigned to (see Engagement queryset).
    "engagement.view": ALL,
    # Budget, the reason for outsourcing and gate deliberations stay inside the company.
    "engagement.view_internal": INTERNAL,
    "engagement.edit": frozenset({Role.ADMIN, Role.OWNER}),
    "gate.decide": frozenset({Role.OWNER}),
    "report.request": frozenset({Role.ADMIN, Role.OWNER}),
    "report.view": INTERNAL,
}


def role_can(role: str, perm: str) -> bool:
    """Whether `role` holds `perm`; an unknown permission is a programming error."""
    return role in PERMISSIONS[perm]
