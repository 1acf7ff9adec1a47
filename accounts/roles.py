"""Roles and what each may do. The single table every permission check reads: views
(`member_required`), rows (`TenantQuerySet.restrict`), templates (`can`) and the API."""

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

# "<resource>.<action>": a model's `Scope.resource` names its resource, and
# `restrict(membership, action)` checks "<resource>.<action>".
PERMISSIONS: dict[str, frozenset[Role]] = {
    # Vendor contacts reach only the engagements they are assigned to (Engagement.scope).
    "engagement.view": ALL,
    # Budget, the reason for outsourcing and gate deliberations stay inside the company.
    "engagement.view_internal": INTERNAL,
    "engagement.edit": frozenset({Role.ADMIN, Role.OWNER}),
    "engagement.assign": frozenset({Role.ADMIN, Role.OWNER}),
    "gate.decide": frozenset({Role.OWNER}),
    # Invoices and the money figures: internal (Invoice has no vendor path). Procurement
    # books invoices; only owners and admins remove one.
    "spend.view": INTERNAL,
    "spend.edit": frozenset({Role.ADMIN, Role.OWNER, Role.PROCUREMENT}),
    "spend.delete": frozenset({Role.ADMIN, Role.OWNER}),
    # Change requests (R26): vendor contacts see and propose them on their engagements,
    # without the money; owners decide; the requester may withdraw while proposed.
    "change_request.view": ALL,
    "change_request.view_internal": INTERNAL,
    "change_request.propose": frozenset({Role.ADMIN, Role.OWNER, Role.PROCUREMENT, Role.VENDOR}),
    "change_request.decide": frozenset({Role.OWNER}),
    # Milestones, handover checklists and the decision log (issue 7, part A): vendor
    # contacts see those of their engagements; owners and admins plan them; vendor contacts
    # mark a milestone's or a checklist item's status and evidence (IP items stay internal
    # to confirm, see engagements/models/checklists.py); board members read the decision log.
    "milestone.view": ALL,
    "milestone.edit": frozenset({Role.ADMIN, Role.OWNER}),
    "milestone.update": frozenset({Role.ADMIN, Role.OWNER, Role.VENDOR}),
    "checklist.view": ALL,
    "checklist.edit": frozenset({Role.ADMIN, Role.OWNER}),
    "checklist.update": frozenset({Role.ADMIN, Role.OWNER, Role.VENDOR}),
    "decision_log.view": ALL,
    "decision_log.write": frozenset({Role.ADMIN, Role.OWNER, Role.PROCUREMENT, Role.VENDOR}),
    # Gates decided on evidence (issue 8): criteria, evidence, gatekeepers and votes, and the
    # approved baselines are the company's deliberation — vendor contacts see none of it.
    # Owners and admins edit criteria, give evidence and name gatekeepers; a gatekeeper of
    # any internal role votes (being named is checked on the gate itself).
    "gate.view": INTERNAL,
    "gate.edit": frozenset({Role.ADMIN, Role.OWNER}),
    "gate.vote": INTERNAL,
    # Conditions of a Conditional Go: vendor contacts see those of their engagements; owners
    # and admins, and the condition's own owner, mark them done.
    "condition.view": ALL,
    "condition.update": INTERNAL,
    # The radar's thresholds: read by insiders, set by admins.
    "risk_settings.view": INTERNAL,
    "risk_settings.edit": frozenset({Role.ADMIN}),
    "report.request": frozenset({Role.ADMIN, Role.OWNER}),
    "report.view": INTERNAL,
    # Colleagues' names; the members page itself is for admins.
    "member.view": INTERNAL,
    "member.manage": frozenset({Role.ADMIN}),
    # The audit trail: an engagement's activity for insiders, the organisation's for admins.
    "audit.view": INTERNAL,
    "audit.view_all": frozenset({Role.ADMIN}),
    # Audit snapshots hold what the record held: its internal fields stay internal.
    "audit.view_internal": INTERNAL,
    # Weekly status reports: read by whoever may view the engagement; written by its vendor
    # contacts (their pipeline, through the API) and by owners and admins.
    "weekly_report.view": ALL,
    "weekly_report.submit": frozenset({Role.ADMIN, Role.OWNER, Role.VENDOR}),
    # One's own profile, password and API tokens.
    "profile.edit": ALL,
    # Any member may ask for an uploaded file; the file's own model then decides, through
    # restrict(), whether this member may view the object it is attached to.
    "file.download": ALL,
    # The JSON API's description and interactive docs (each route checks its own permission).
    "api.docs": ALL,
}


def role_can(role: str, perm: str) -> bool:
    """Whether `role` holds `perm`; an unknown permission is a programming error."""
    return role in PERMISSIONS[perm]


def weakest_refused(perm: str) -> Role | None:
    """A role that does not hold `perm` (the strongest such, so tests refuse a near miss), or
    None when every role holds it."""
    refused = [role for role in Role if role not in PERMISSIONS[perm]]
    return refused[0] if refused else None
