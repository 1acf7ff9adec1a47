"""Organisations and the people in them (their memberships, each with a role)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from audit.models import audited

from .roles import Role, role_can
from .templatetags.people import person
from .tenancy import Scope, TenantModel, TenantQuerySet


class Organisation(models.Model):
    """A company using Handover. Every record belongs to exactly one."""

    tenancy_exempt = "the tenant itself: a member reaches only their own, via request.organisation"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    is_demo = models.BooleanField(
        default=False, help_text="Created by seed_demo, which touches no other organisation."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's place in one organisation, with the role that decides what they may do."""

    scope = Scope("member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # The organisation opened at log-in: the one the user chose (is_default), else the one
    # they last worked in (last_used_at, stamped at log-in and when switching), else the first.
    is_default = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    history = audited(excluded_fields=["is_default", "last_used_at"])  # personal preferences

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_organisation"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{person(self.user)} in {self.organisation} as {self.get_role_display()}"

    def can(self, perm: str) -> bool:
        return role_can(self.role, perm)

    @property
    def is_vendor(self) -> bool:
        return self.role == Role.VENDOR


class InvitationQuerySet(TenantQuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(TenantModel):
    """An e-mailed offer to join an organisation with a role. The link carries a signed,
    expiring token (`accounts.invitations`); accepting or revoking ends it, once."""

    scope = Scope("member")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    # Stored lower-case, so "Ann@x" and "ann@x" are one pending invitation.
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the current link was sent: a resend sends a fresh link.
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()
    history = audited()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_pending_invitation_per_email",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked_not_both",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="invitation_email_lower"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation} as {self.get_role_display()}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def expires_at(self):
        return self.sent_at + settings.INVITATION_MAX_AGE
